using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.ServiceDefaults.Redis;

/// <summary>Registers Redis's connection options ("Cache:Redis", "Cache:RedisTlsCaFile") and, for programs that always need Redis, the connection itself.</summary>
public static class RedisServiceCollectionExtensions
{
    public static OptionsBuilder<RedisConnectionOptions> AddRedisConnectionOptions(this IServiceCollection services, IConfiguration configuration) =>
        services.AddOptions<RedisConnectionOptions>().Bind(configuration.GetSection(RedisConnectionOptions.SectionName))
            .Validate(o => string.IsNullOrEmpty(o.RedisTlsCaFile) || File.Exists(o.RedisTlsCaFile), $"{RedisCertificateValidator.CaFileSetting} names a file that does not exist")
            .Validate(o => o.RedisConnectTimeout > TimeSpan.Zero, "Cache:RedisConnectTimeout must be positive")
            .ValidateOnStart();

    /// <summary>
    /// The connection as a hosted service that connects when the host starts (register it before
    /// anything that uses Redis at start) and as <see cref="IConnectionMultiplexer"/>.
    /// </summary>
    public static IServiceCollection AddRedisConnection(this IServiceCollection services, IConfiguration configuration, string requiredBecause)
    {
        services.AddRedisConnectionOptions(configuration).Validate(o => o.IsConfigured, $"Cache:Redis is required: {requiredBecause}");
        services.AddSingleton<RedisConnection>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
        services.AddSingleton<IConnectionMultiplexer>(sp => sp.GetRequiredService<RedisConnection>().Multiplexer);
        return services;
    }
}
