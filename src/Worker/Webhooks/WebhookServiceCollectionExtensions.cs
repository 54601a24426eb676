using ComfySnap.ServiceDefaults.Redis;
using ComfySnap.Worker.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Webhooks;

/// <summary>Webhooks: options, the guarded client, the ledger (Redis, or in process without it), the job-side deliveries; the consumer is added with the bus.</summary>
public static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.FirstRetryDelay > TimeSpan.Zero && o.MaxRetryDelay >= o.FirstRetryDelay, "Webhooks:FirstRetryDelay must be positive and not above Webhooks:MaxRetryDelay")
            .Validate(o => o.RequestTimeout > TimeSpan.Zero, "Webhooks:RequestTimeout must be positive")
            .Validate(o => Parses(o), "Webhooks:AllowedNetworks must hold CIDR ranges (e.g. 10.0.0.0/8)")
            .ValidateOnStart();
        // No redirects: a signed result goes to the URL the job named, nowhere else.
        services.AddGuardedHttpClient(WebhookSender.ClientName, sp =>
        {
            var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
            return OutboundPolicy.From(options.AllowPrivateNetworks, options.AllowedNetworks);
        }, maxRedirects: 0);
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDeliveries>();
        services.AddSingleton<RedisWebhookLedger>();
        services.AddSingleton<InProcessWebhookLedger>();
        services.AddSingleton<IWebhookLedger>(sp => !sp.GetRequiredService<IOptions<RedisConnectionOptions>>().Value.IsConfigured
            ? sp.GetRequiredService<InProcessWebhookLedger>()
            : sp.GetRequiredService<RedisWebhookLedger>());
        return services;
    }

    private static bool Parses(WebhookOptions options)
    {
        try
        {
            OutboundPolicy.From(options.AllowPrivateNetworks, options.AllowedNetworks);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
