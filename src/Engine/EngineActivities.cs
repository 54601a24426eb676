using System.Diagnostics;

namespace ComfySnap.Engine;

/// <summary>
/// The engine's ActivitySource: one span per executed node, nested under whatever span runs the
/// workflow (the worker's "execute"). StartActivity returns null while nobody listens.
/// </summary>
public static class EngineActivities
{
    public const string SourceName = "ComfySnap.Engine";

    public const string Node = "node";

    // Static like every ActivitySource: listeners attach process-wide, the source holds no state of ours.
    public static readonly ActivitySource Source = new(SourceName, typeof(EngineActivities).Assembly.GetName().Version?.ToString());
}
