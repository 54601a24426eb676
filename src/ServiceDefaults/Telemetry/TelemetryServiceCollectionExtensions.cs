using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ComfySnap.ServiceDefaults.Telemetry;

/// <summary>
/// Registers OpenTelemetry for a host. What to listen to and where to export is decided when the
/// providers are built (host start), not when services are registered: a snapshot's prepared
/// worker registers its services before the checkpoint and gets its Telemetry settings only after
/// the restore, and no exporter thread or timer exists in the image.
/// </summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Every ComfySnap library names its ActivitySource and Meter "ComfySnap.X" (worker, engine, diffusion, gateway).</summary>
    public const string ComfySnapSources = "ComfySnap.*";

    /// <summary>MassTransit's ActivitySource and Meter: the send and consume spans that jobs nest under.</summary>
    public const string MassTransitSource = "MassTransit";

    // instanceId: the resource's service.instance.id, read when the providers are built (a
    // restored worker's id arrives with its runtime config); default host name and process id.
    public static IServiceCollection AddComfySnapTelemetry(this IServiceCollection services, IConfiguration configuration, string defaultServiceName, string[]? extraSources = null, string[]? extraMeters = null,
        Func<IServiceProvider, string>? instanceId = null)
    {
        services.AddOptions<TelemetryOptions>()
            .Configure(o => o.ServiceName = defaultServiceName)
            .Bind(configuration.GetSection(TelemetryOptions.SectionName))
            .PostConfigure(o => o.Otlp.Endpoint = string.IsNullOrWhiteSpace(o.Otlp.Endpoint)
                ? Environment.GetEnvironmentVariable(TelemetryOptions.StandardEndpointVariable)
                : o.Otlp.Endpoint)
            .ValidateDataAnnotations();
        services.AddOpenTelemetry()
            .WithTracing(tracing => ((IDeferredTracerProviderBuilder)tracing).Configure((sp, builder) =>
            {
                var options = sp.GetRequiredService<IOptions<TelemetryOptions>>().Value;
                if (!options.IsOn)
                {
                    return;
                }

                builder.SetResourceBuilder(Resource(options, instanceId?.Invoke(sp)))
                    .AddSource(ComfySnapSources, MassTransitSource)
                    .AddSource(extraSources ?? []);
                if (options.Otlp.EndpointUri is not null)
                {
                    builder.AddProcessor(new BatchActivityExportProcessor(new OtlpTraceExporter(Exporter(options, "v1/traces"))));
                }
            }))
            .WithMetrics(metrics => ((IDeferredMeterProviderBuilder)metrics).Configure((sp, builder) =>
            {
                var options = sp.GetRequiredService<IOptions<TelemetryOptions>>().Value;
                if (!options.IsOn)
                {
                    return;
                }

                builder.SetResourceBuilder(Resource(options, instanceId?.Invoke(sp)))
                    .AddMeter(ComfySnapSources, MassTransitSource)
                    .AddMeter(extraMeters ?? []);
                if (options.Otlp.EndpointUri is not null)
                {
                    builder.AddReader(new PeriodicExportingMetricReader(new OtlpMetricExporter(Exporter(options, "v1/metrics")), (int)options.Otlp.MetricInterval.TotalMilliseconds));
                }
            }));
        return services;
    }

    // Not the process id alone: every copy restored from one snapshot has the same cached one.
    private static ResourceBuilder Resource(TelemetryOptions options, string? instanceId) =>
        ResourceBuilder.CreateDefault().AddService(options.ServiceName, serviceInstanceId: instanceId ?? Environment.MachineName + "-" + Environment.ProcessId);

    /// <summary>Set in code, the endpoint is used as given: http/protobuf needs the signal's path appended (the SDK does that only for its environment variable).</summary>
    private static OtlpExporterOptions Exporter(TelemetryOptions options, string signalPath)
    {
        var http = options.Otlp.Protocol.Equals("http/protobuf", StringComparison.OrdinalIgnoreCase);
        var endpoint = options.Otlp.EndpointUri!;
        if (http && endpoint.AbsolutePath is "" or "/")
        {
            endpoint = new Uri(endpoint, signalPath);
        }

        return new OtlpExporterOptions { Endpoint = endpoint, Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc };
    }
}
