using System.Diagnostics;

namespace ComfySnap.Worker.Telemetry;

/// <summary>
/// The worker's ActivitySource and span names. Spans nest under MassTransit's consume span (its
/// own source, "MassTransit"), so one trace runs from the publisher's send to every node (the
/// engine's and the diffusion library's sources add the node and sampler-step spans).
/// StartActivity returns null while nobody listens: that is the whole cost when telemetry is off.
/// </summary>
public static class WorkerActivities
{
    public const string SourceName = "ComfySnap.Worker";
    public const string MassTransitSourceName = "MassTransit";

    public const string Job = "job";
    public const string Validate = "validate";
    public const string CacheLookup = "cache lookup";
    public const string Execute = "execute";
    public const string CacheStore = "cache store";
    public const string Upload = "output upload";
    public const string PublishResult = "publish result";
    public const string Boot = "boot";
    public const string BootPhase = "boot phase";

    // Static like every ActivitySource: listeners attach process-wide, the source holds no state of ours.
    public static readonly ActivitySource Source = new(SourceName, typeof(WorkerActivities).Assembly.GetName().Version?.ToString());
}
