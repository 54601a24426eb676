using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Worker.Outbound;

/// <summary>Named HttpClients whose connections go through a <see cref="GuardedConnector"/>.</summary>
public static class OutboundServiceCollectionExtensions
{
    /// <summary>
    /// Registers the named client; <paramref name="policy"/> reads its section's options. The
    /// client has no timeout of its own: callers bound each request (fetch or delivery) themselves.
    /// </summary>
    public static IHttpClientBuilder AddGuardedHttpClient(this IServiceCollection services, string name, Func<IServiceProvider, OutboundPolicy> policy, int maxRedirects = 5) =>
        services.AddHttpClient(name, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new GuardedConnector(policy(sp)).CreateHandler(maxRedirects));
}
