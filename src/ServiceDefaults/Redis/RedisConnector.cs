using System.Diagnostics;
using ComfySnap.ServiceDefaults.FirstContact;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ComfySnap.ServiceDefaults.Redis;

/// <summary>
/// The one Redis connection factory: Cache:Redis with the TLS certificate check (Cache:RedisTlsCaFile)
/// and first contact. It retries a Redis that is not up yet until Cache:RedisConnectTimeout, and ends
/// a refused password, a rejected certificate or a Redis that never answered in a
/// <see cref="FirstContactException"/> naming the setting to change. Once connected, the client
/// reconnects by itself after an outage.
/// </summary>
public static class RedisConnector
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    /// <param name="options">Cache:Redis and its TLS and first-contact settings.</param>
    /// <param name="logger">Where a certificate rejected after the first connection is reported.</param>
    /// <param name="tune">The program's own client settings (e.g. the worker's fail-fast backlog).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task<ConnectionMultiplexer> ConnectAsync(RedisConnectionOptions options, ILogger logger, Action<ConfigurationOptions>? tune, CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(options.Redis ?? throw new FirstContactException("Cache:Redis is not set"));
        config.SetDefaultPorts();
        tune?.Invoke(config);
        // Each first attempt fails with its reason; reconnects after the first connection are the client's own.
        config.AbortOnConnectFail = true;
        var certificates = RedisCertificateValidator.Attach(config, options.RedisTlsCaFile, logger);
        var endpoint = RedisEndpoints.Describe(config);
        var attemptTimeout = config.ConnectTimeout;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            // No attempt outlasts the first-contact budget by more than a second.
            config.ConnectTimeout = (int)Math.Clamp((options.RedisConnectTimeout - watch.Elapsed).TotalMilliseconds, 1000, attemptTimeout);
            try
            {
                var redis = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
                certificates?.MarkConnected();
                return redis;
            }
            catch (RedisConnectionException e)
            {
                if (certificates?.Rejected is { IsCompleted: true } rejected)
                {
                    throw await rejected.ConfigureAwait(false);
                }

                if (IsLoginRefused(e))
                {
                    throw new FirstContactException(
                        $"Redis at {endpoint} refused the login{(config.Password is null ? " (no password given)" : "")}: set password=... in Cache:Redis (or COMFYSNAP_Cache__Redis_FILE)", e);
                }

                if (watch.Elapsed >= options.RedisConnectTimeout)
                {
                    var (host, port) = RedisEndpoints.First(config);
                    throw new FirstContactException(FirstContactMessages.Unreachable("Redis", endpoint,
                        await TcpProbe.WhyNotAsync(host, port, ProbeTimeout, cancellationToken).ConfigureAwait(false),
                        options.RedisConnectTimeout, "Cache:Redis", "check the port in Cache:Redis and ssl=true (a TLS port needs it)"), e);
                }
            }

            await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsLoginRefused(RedisConnectionException e) =>
        e.FailureType == ConnectionFailureType.AuthenticationFailure
        || Messages(e).Any(m => m.Contains("WRONGPASS", StringComparison.Ordinal) || m.Contains("NOAUTH", StringComparison.Ordinal));

    private static IEnumerable<string> Messages(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e.Message;
        }
    }
}
