using ComfySnap.Worker.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Inputs;

/// <summary>URL inputs: the options, the guarded client and the sources by scheme (http/https here; others add an <see cref="IUrlInputSource"/>).</summary>
public static class InputServiceCollectionExtensions
{
    public static IServiceCollection AddUrlInputs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InputOptions>().Bind(configuration.GetSection(InputOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.FetchTimeout > TimeSpan.Zero, "Inputs:FetchTimeout must be positive")
            .Validate(o => Parses(o), "Inputs:AllowedNetworks must hold CIDR ranges (e.g. 10.0.0.0/8)")
            .ValidateOnStart();
        services.AddGuardedHttpClient(HttpUrlInputSource.ClientName, sp =>
        {
            var options = sp.GetRequiredService<IOptions<InputOptions>>().Value;
            return OutboundPolicy.From(options.AllowPrivateNetworks, options.AllowedNetworks);
        });
        services.AddSingleton<IUrlInputSource, HttpUrlInputSource>();
        services.AddSingleton<UrlInputSources>();
        return services;
    }

    private static bool Parses(InputOptions options)
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
