using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ComfySnap.ServiceDefaults.Tls;
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
    private readonly Lazy<PrivateCaTrust?> _authorities;
    private readonly TaskCompletionSource<Exception> _rejected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RabbitMqOptions _rabbit;
    private readonly ILogger<BrokerCertificateValidator> _logger;

    public BrokerCertificateValidator(IOptions<BusOptions> options, ILogger<BrokerCertificateValidator> logger)
    {
        _rabbit = options.Value.RabbitMq;
        _logger = logger;
        _authorities = new Lazy<PrivateCaTrust?>(() => PrivateCaTrust.Load("Bus:RabbitMq:TlsCaFile", _rabbit.TlsCaFile));
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

    private string? Check(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors) =>
        ServerCertificateCheck.Verdict(certificate, presented, errors, _authorities.Value, "the broker",
            $"{ServerName} (set Bus:RabbitMq:TlsServerName)", "Bus:RabbitMq:TlsCaFile");

    private string? ServerName => string.IsNullOrEmpty(_rabbit.TlsServerName) ? _rabbit.Host : _rabbit.TlsServerName;
}
