using ComfySnap.Diffusion.Models;
using ComfySnap.Worker.Outbound;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Models;

/// <summary>Models by pinned URL: the guarded download client (Models:Download), the cache and the pre-validation fetch.</summary>
public static class ModelDownloadServiceCollectionExtensions
{
    public static IServiceCollection AddModelDownloads(this IServiceCollection services)
    {
        services.AddOptions<ModelStoreOptions>()
            .Validate(o => o.Download.MaxBytes > 0 && o.Download.MaxCacheBytes >= 0 && o.Download.FetchTimeout > TimeSpan.Zero,
                "Models:Download:MaxBytes and FetchTimeout must be positive, MaxCacheBytes 0 or more")
            .Validate(o => Parses(o.Download), "Models:Download:AllowedNetworks must hold CIDR ranges (e.g. 10.0.0.0/8)")
            .ValidateOnStart();
        services.AddGuardedHttpClient(ModelUrlCache.ClientName, sp =>
        {
            var download = sp.GetRequiredService<IOptions<ModelStoreOptions>>().Value.Download;
            return OutboundPolicy.From(download.AllowPrivateNetworks, download.AllowedNetworks);
        });
        services.AddSingleton<ModelUrlCache>();
        services.AddSingleton<ModelUrlFetcher>();
        return services;
    }

    private static bool Parses(ModelDownloadOptions options)
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
