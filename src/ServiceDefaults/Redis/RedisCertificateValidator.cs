using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.ServiceDefaults.Tls;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ComfySnap.ServiceDefaults.Redis;

/// <summary>
/// Checks Redis's TLS certificate (ssl=true in Cache:Redis): against the system's trust store, or,
/// with Cache:RedisTlsCaFile, against that file's CA certificates only. A rejection at the first
/// connection completes <see cref="Rejected"/> (the program ends with it: the client would retry a
/// handshake that can never succeed); one after it is logged once per connection, as an outage.
/// </summary>
public sealed class RedisCertificateValidator
{
    public const string CaFileSetting = "Cache:RedisTlsCaFile";

    private readonly PrivateCaTrust? _trust;
    private readonly string _endpoint;
    private readonly string? _serverName;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<FirstContactException> _rejected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _connected;
    private int _logged;

    private RedisCertificateValidator(ConfigurationOptions config, string? caFile, ILogger logger)
    {
        _trust = PrivateCaTrust.Load(CaFileSetting, caFile);
        _endpoint = RedisEndpoints.Describe(config);
        _serverName = config.SslHost;
        _logger = logger;
    }

    /// <summary>Completes with the program's last line once Redis's certificate was rejected at the first connection.</summary>
    public Task<FirstContactException> Rejected => _rejected.Task;

    /// <summary>
    /// Hooks the check into <paramref name="config"/> when it asks for TLS; null when it does not (a
    /// CA file without ssl=true is refused: the user believes the connection is encrypted).
    /// </summary>
    public static RedisCertificateValidator? Attach(ConfigurationOptions config, string? caFile, ILogger logger)
    {
        if (!config.Ssl)
        {
            return string.IsNullOrEmpty(caFile)
                ? null
                : throw new FirstContactException($"{CaFileSetting} is set but Cache:Redis does not ask for TLS: add ssl=true to Cache:Redis");
        }

        var validator = new RedisCertificateValidator(config, caFile, logger);
        config.CertificateValidation += validator.Validate;
        return validator;
    }

    /// <summary>From now on a rejection is an outage to log, not the end of the program.</summary>
    public void MarkConnected() => _connected = true;

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        var reason = ServerCertificateCheck.Verdict(certificate, presented, errors, _trust, "Redis",
            $"{_serverName ?? _endpoint} (set sslHost=NAME in Cache:Redis)", CaFileSetting);
        if (reason is null)
        {
            return true;
        }

        if (!_connected)
        {
            _rejected.TrySetResult(new FirstContactException(FirstContactMessages.CertificateRejected("Redis", _endpoint, certificate?.Subject, reason)));
        }
        else if (Interlocked.Exchange(ref _logged, 1) == 0)
        {
            // The client retries every few seconds: one error line, not one per attempt.
            _logger.LogError("Redis's TLS certificate {Subject} at {Endpoint} was rejected: {Reason}", certificate?.Subject, _endpoint, reason);
        }

        return false;
    }
}
