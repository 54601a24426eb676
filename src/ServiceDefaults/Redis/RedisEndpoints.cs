using System.Net;
using StackExchange.Redis;

namespace ComfySnap.ServiceDefaults.Redis;

/// <summary>The endpoints of a Redis configuration as host:port text, for messages (never the password).</summary>
public static class RedisEndpoints
{
    public static string Describe(ConfigurationOptions config) =>
        string.Join(",", config.EndPoints.Select(e => e is DnsEndPoint d ? $"{d.Host}:{d.Port}" : e.ToString()));

    /// <summary>The first endpoint's host and port (for a TCP probe).</summary>
    public static (string Host, int Port) First(ConfigurationOptions config) => config.EndPoints.FirstOrDefault() switch
    {
        DnsEndPoint d => (d.Host, d.Port),
        IPEndPoint ip => (ip.Address.ToString(), ip.Port),
        _ => ("", 0),
    };
}
