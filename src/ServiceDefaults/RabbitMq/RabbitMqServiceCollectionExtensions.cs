using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>Registers the broker connection's options ("Bus:RabbitMq"), its certificate check and its first-contact state.</summary>
public static class RabbitMqServiceCollectionExtensions
{
    public static OptionsBuilder<RabbitMqOptions> AddRabbitMqConnection(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<BrokerConnectionState>();
        services.AddSingleton(sp => new BrokerCertificateValidator(
            sp.GetRequiredService<IOptions<RabbitMqOptions>>().Value, sp.GetRequiredService<BrokerConnectionState>(), sp.GetRequiredService<ILogger<BrokerCertificateValidator>>()));
        return services.AddOptions<RabbitMqOptions>().Bind(configuration.GetSection(RabbitMqOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.TlsCaFile) || File.Exists(o.TlsCaFile), $"{BrokerCertificateValidator.CaFileSetting} names a file that does not exist")
            .Validate(o => o.ConnectTimeout > TimeSpan.Zero, "Bus:RabbitMq:ConnectTimeout must be positive")
            .Validate(NodesAreValid, "Bus:RabbitMq:Nodes: each node must be host[:port] with a port from 1 to 65535")
            .ValidateOnStart();
    }

    private static bool NodesAreValid(RabbitMqOptions options)
    {
        try
        {
            return options.Endpoints.Count > 0 || string.IsNullOrWhiteSpace(options.Host);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Starts the registered bus with the host, through <see cref="RabbitMqBusStart"/> (first
    /// contact in one line), instead of MassTransit's own hosted service; the host starts its
    /// other services (and serves) only once the bus is connected.
    /// </summary>
    public static IServiceCollection AddRabbitMqBusHostedService(this IServiceCollection services)
    {
        services.RemoveMassTransitHostedService();
        services.AddHostedService<RabbitMqBusHostedService>();
        return services;
    }
}
