using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Bus;

/// <summary>
/// Checks the broker's TLS certificate (Bus:RabbitMq:UseTls): against the system's trust store, or,
/// with Bus:RabbitMq:TlsCaFile, against that file's CA certificates only. A rejected certificate is
/// logged with its reason and ends the boot (<see cref="Rejected"/>): the client library would
/// otherwise retry a connection that can never succeed, forever and with only warnings.
/// </summary>
public sealed class BrokerCertificateValidator
{
    private readonly Lazy<X509Certificate2Collection?> _authorities;
    private readonly TaskCompletionSource<Exception> _rejected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RabbitMqOptions _rabbit;
    private readonly ILogger<BrokerCertificateValidator> _logger;

    public BrokerCertificateValidator(IOptions<BusOptions> options, ILogger<BrokerCertificateValidator> logger)
    {
        _rabbit = options.Value.RabbitMq;
        _logger = logger;
        _authorities = new Lazy<X509Certificate2Collection?>(() => LoadAuthorities(_rabbit.TlsCaFile));
    }

    /// <summary>Completes with the reason when the broker's certificate was rejected.</summary>
    public Task<Exception> Rejected => _rejected.Task;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        var reason = Check(certificate, presented, errors);
        if (reason is null)
        {
            return true;
        }

        _logger.LogError("The broker's TLS certificate {Subject} at {Host}:{Port} was rejected: {Reason}", certificate?.Subject, _rabbit.Host, _rabbit.Port, reason);
        _rejected.TrySetResult(new InvalidOperationException(
            $"Bus:RabbitMq: the broker's TLS certificate {certificate?.Subject} at {_rabbit.Host}:{_rabbit.Port} was rejected: {reason}"));
        return false;
    }

    private string? Check(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return "the broker sent no certificate";
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return $"it is not valid for the name {ServerName} (set Bus:RabbitMq:TlsServerName)";
        }

        if (_authorities.Value is not { } authorities)
        {
            return errors == SslPolicyErrors.None ? null : $"{errors} (a private CA: set Bus:RabbitMq:TlsCaFile)";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
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
            : $"it does not chain to a CA in Bus:RabbitMq:TlsCaFile {_rabbit.TlsCaFile} ({string.Join(", ", chain.ChainStatus.Select(s => s.Status))})";
    }

    private string? ServerName => string.IsNullOrEmpty(_rabbit.TlsServerName) ? _rabbit.Host : _rabbit.TlsServerName;

    private static X509Certificate2Collection? LoadAuthorities(string? caFile)
    {
        if (string.IsNullOrEmpty(caFile))
        {
            return null;
        }

        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(caFile);
        return authorities.Count > 0 ? authorities : throw new InvalidOperationException($"Bus:RabbitMq:TlsCaFile {caFile} holds no PEM certificate");
    }
}
