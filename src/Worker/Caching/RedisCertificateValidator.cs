using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ComfySnap.ServiceDefaults.Tls;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// Checks Redis's TLS certificate (ssl=true in Cache:Redis): against the system's trust store, or,
/// with Cache:RedisTlsCaFile, against that file's CA certificates only. A rejection is logged once
/// with its reason and kept in <see cref="Rejected"/>: the client would otherwise retry a handshake
/// that can never succeed, and the worker would run every job uncached and without a job lease.
/// </summary>
public sealed class RedisCertificateValidator
{
    public const string CaFileSetting = "Cache:RedisTlsCaFile";

    private readonly PrivateCaTrust? _trust;
    private readonly string _endpoint;
    private readonly string? _serverName;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<Exception> _rejected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RedisCertificateValidator(ConfigurationOptions config, string? caFile, ILogger logger)
    {
        _trust = PrivateCaTrust.Load(CaFileSetting, caFile);
        _endpoint = string.Join(",", config.EndPoints.Select(e => e is DnsEndPoint d ? $"{d.Host}:{d.Port}" : e.ToString()));
        _serverName = config.SslHost;
        _logger = logger;
    }

    /// <summary>Completes with the reason once Redis's certificate was rejected.</summary>
    public Task<Exception> Rejected => _rejected.Task;

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
                : throw new InvalidOperationException($"{CaFileSetting} is set but Cache:Redis does not ask for TLS: add ssl=true to it");
        }

        var validator = new RedisCertificateValidator(config, caFile, logger);
        config.CertificateValidation += validator.Validate;
        return validator;
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        var reason = ServerCertificateCheck.Verdict(certificate, presented, errors, _trust, "Redis",
            $"{_serverName ?? _endpoint} (set sslHost=NAME in Cache:Redis)", CaFileSetting);
        if (reason is null)
        {
            return true;
        }

        // The client retries every few seconds: one error line, not one per attempt.
        if (_rejected.TrySetResult(new InvalidOperationException($"Cache:Redis: the TLS certificate {certificate?.Subject} of Redis at {_endpoint} was rejected: {reason}")))
        {
            _logger.LogError("Redis's TLS certificate {Subject} at {Endpoint} was rejected: {Reason}", certificate?.Subject, _endpoint, reason);
        }

        return false;
    }
}
