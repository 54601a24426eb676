using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.ServiceDefaults.Tls;
using Microsoft.Extensions.Logging;

namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>
/// Checks the broker's TLS certificate (Bus:RabbitMq:UseTls): against the system's trust store, or,
/// with Bus:RabbitMq:TlsCaFile, against that file's CA certificates only. A rejection at the first
/// connection completes <see cref="Rejected"/> (the program ends with it: the client library would
/// otherwise retry a connection that can never succeed, forever); one after it (a certificate
/// changed under a running program) is logged once, as the client keeps reconnecting.
/// </summary>
public sealed class BrokerCertificateValidator
{
    public const string CaFileSetting = "Bus:RabbitMq:TlsCaFile";

    private readonly Lazy<PrivateCaTrust?> _authorities;
    private readonly TaskCompletionSource<FirstContactException> _rejected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RabbitMqOptions _rabbit;
    private readonly BrokerConnectionState _state;
    private readonly ILogger _logger;

    public BrokerCertificateValidator(RabbitMqOptions rabbit, BrokerConnectionState state, ILogger logger)
    {
        _rabbit = rabbit;
        _state = state;
        _logger = logger;
        _authorities = new Lazy<PrivateCaTrust?>(() => PrivateCaTrust.Load(CaFileSetting, _rabbit.TlsCaFile));
    }

    /// <summary>Completes with the program's last line when the broker's certificate was rejected at the first connection.</summary>
    public Task<FirstContactException> Rejected => _rejected.Task;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        var reason = ServerCertificateCheck.Verdict(certificate, presented, errors, _authorities.Value, "the broker",
            $"{_rabbit.EffectiveServerName} (set Bus:RabbitMq:TlsServerName)", CaFileSetting);
        if (reason is null)
        {
            return true;
        }

        if (_state.Connected)
        {
            _logger.LogError("The broker's TLS certificate {Subject} at {Endpoint} was rejected: {Reason}", certificate?.Subject, _rabbit.Endpoint, reason);
        }
        else
        {
            _rejected.TrySetResult(new FirstContactException(FirstContactMessages.CertificateRejected("RabbitMQ", _rabbit.Endpoint, certificate?.Subject, reason)));
        }

        return false;
    }
}
