using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ComfySnap.TestSupport;

/// <summary>A private CA, a server certificate it signed (localhost and 127.0.0.1) and an unrelated CA, as PEM files for a TLS test's server.</summary>
public sealed record TestCertificates(string ServerCertificate, string ServerKey, string ServerCa, string OtherCa)
{
    /// <summary>Writes server.pem, server.key, ca.pem (the server's CA) and other-ca.pem into <paramref name="dir"/>.</summary>
    public static TestCertificates Write(string dir)
    {
        using var serverCa = NewCa("ComfySnap test CA");
        using var otherCa = NewCa("Some other CA");
        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(serverCa, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        var certificates = new TestCertificates(Path.Combine(dir, "server.pem"), Path.Combine(dir, "server.key"), Path.Combine(dir, "ca.pem"), Path.Combine(dir, "other-ca.pem"));
        File.WriteAllText(certificates.ServerCertificate, server.ExportCertificatePem());
        File.WriteAllText(certificates.ServerKey, serverKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificates.ServerCa, serverCa.ExportCertificatePem());
        File.WriteAllText(certificates.OtherCa, otherCa.ExportCertificatePem());
        return certificates;
    }

    private static X509Certificate2 NewCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
    }
}
