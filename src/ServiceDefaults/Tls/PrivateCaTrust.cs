using System.Security.Cryptography.X509Certificates;

namespace ComfySnap.ServiceDefaults.Tls;

/// <summary>
/// Trust in the CA certificates of one PEM file only (a private CA), for a server certificate the
/// system's trust store would not accept: the broker's (Bus:RabbitMq:TlsCaFile) and Redis's
/// (Cache:RedisTlsCaFile).
/// </summary>
public sealed class PrivateCaTrust
{
    private readonly X509Certificate2Collection _authorities;

    private PrivateCaTrust(string setting, string file, X509Certificate2Collection authorities)
    {
        Setting = setting;
        File = file;
        _authorities = authorities;
    }

    /// <summary>The configuration key that named the file, for error messages.</summary>
    public string Setting { get; }

    public string File { get; }

    /// <summary>The trust of <paramref name="caFile"/>; null when none is configured.</summary>
    public static PrivateCaTrust? Load(string setting, string? caFile)
    {
        if (string.IsNullOrEmpty(caFile))
        {
            return null;
        }

        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(caFile);
        return authorities.Count > 0
            ? new PrivateCaTrust(setting, caFile, authorities)
            : throw new InvalidOperationException($"{setting} {caFile} holds no PEM certificate");
    }

    /// <summary>Null when <paramref name="certificate"/> chains to one of the file's CAs, else why not.</summary>
    public string? Check(X509Certificate certificate, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        // A private CA seldom publishes revocation lists.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf)
            ? null
            : $"it does not chain to a CA in {Setting} {File} ({string.Join(", ", chain.ChainStatus.Select(s => s.Status))})";
    }
}
