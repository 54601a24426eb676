using ComfySnap.Worker.Inputs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Worker.Delivery;

/// <summary>Registers output formats, the object store client, the uploader, and s3:// URL inputs ("ObjectStore" and "Output" sections, validated at start).</summary>
public static class ObjectStoreServiceCollectionExtensions
{
    public static IServiceCollection AddObjectStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ObjectStoreOptions>().Bind(configuration.GetSection(ObjectStoreOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OutputFormatOptions>().Bind(configuration.GetSection(OutputFormatOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IObjectStore, S3ObjectStore>();
        services.AddSingleton<DeliveryPlanner>();
        services.AddSingleton<OutputUploader>();
        // s3:// inputs join the http(s) ones: InputFileMaterializer fetches every URL input by its scheme.
        services.AddSingleton<IUrlInputSource, S3InputSource>();
        return services;
    }
}
