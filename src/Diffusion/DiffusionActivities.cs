using System.Diagnostics;

namespace ComfySnap.Diffusion;

/// <summary>
/// The diffusion library's ActivitySource: one span per sampler step, nested under the node that
/// samples. StartActivity returns null while nobody listens.
/// </summary>
public static class DiffusionActivities
{
    public const string SourceName = "ComfySnap.Diffusion";

    public const string SamplerStep = "sampler step";

    // Static like every ActivitySource: listeners attach process-wide, the source holds no state of ours.
    public static readonly ActivitySource Source = new(SourceName, typeof(DiffusionActivities).Assembly.GetName().Version?.ToString());
}
