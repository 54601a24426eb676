using System.ComponentModel.DataAnnotations;

namespace ComfySnap.ServiceDefaults.Telemetry;

/// <summary>
/// OpenTelemetry switches (section "Telemetry"). Off by default: no source or meter is listened to,
/// so spans and measurements cost one null check each. An OTLP endpoint (here or in the standard
/// OTEL_EXPORTER_OTLP_ENDPOINT variable) turns tracing and metrics on and exports to it.
/// </summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>The standard OpenTelemetry variable, honoured when Telemetry:Otlp:Endpoint is empty.</summary>
    public const string StandardEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Listen to the sources and meters even without an exporter (tests add their own exporter).</summary>
    public bool Enabled { get; set; }

    [Required]
    public string ServiceName { get; set; } = "comfysnap-worker";

    public OtlpSettings Otlp { get; set; } = new();

    public bool IsOn => Enabled || Otlp.EndpointUri is not null;

    public sealed class OtlpSettings
    {
        /// <summary>e.g. http://collector:4317 (grpc) or http://collector:4318 (http/protobuf).</summary>
        public string? Endpoint { get; set; }

        /// <summary>grpc (default) or http/protobuf.</summary>
        public string Protocol { get; set; } = "grpc";

        /// <summary>How often metrics are exported.</summary>
        public TimeSpan MetricInterval { get; set; } = TimeSpan.FromSeconds(15);

        public Uri? EndpointUri => Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) ? uri : null;
    }
}
