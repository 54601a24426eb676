using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ComfySnap.ServiceDefaults.Tls;

/// <summary>
/// The verdict on a server's TLS certificate shared by the broker's and Redis's checks: present,
/// valid for the name, then trusted by the system store or, with a private CA file, by that file only.
/// </summary>
public static class ServerCertificateCheck
{
    /// <summary>Null when the certificate is accepted, else why not.</summary>
    /// <param name="certificate">The server's certificate as the TLS handshake gave it.</param>
    /// <param name="presented">The chain the server presented (its intermediates help the private CA check).</param>
    /// <param name="errors">The platform's verdict against the system trust store.</param>
    /// <param name="trust">The private CA file's trust; null: the system store decides.</param>
    /// <param name="server">Who sent it, for the message ("the broker", "Redis").</param>
    /// <param name="nameAdvice">The name it was checked against and where to set another.</param>
    /// <param name="caSetting">The setting that names a private CA file.</param>
    public static string? Verdict(
        X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, PrivateCaTrust? trust, string server, string nameAdvice, string caSetting)
    {
        if (certificate is null)
        {
            return $"{server} sent no certificate";
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return $"it is not valid for the name {nameAdvice}";
        }

        if (trust is null)
        {
            return errors == SslPolicyErrors.None ? null : $"{errors} (a private CA: set {caSetting})";
        }

        return trust.Check(certificate, presented);
    }
}
