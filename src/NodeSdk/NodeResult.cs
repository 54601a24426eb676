namespace ComfySnap.NodeSdk;

/// <summary>A node's outputs (in the order of its declared output types) and any files it produced.</summary>
public sealed record NodeResult(IReadOnlyList<object?> Values, IReadOnlyList<OutputArtifact> Artifacts)
{
    public static NodeResult Of(params object?[] values) => new(values, []);

    public static NodeResult WithArtifacts(IReadOnlyList<OutputArtifact> artifacts, params object?[] values) => new(values, artifacts);
}

/// <summary>A file a node produced (e.g. a PNG from SaveImage): bytes plus where it was written.</summary>
public sealed record OutputArtifact(string FileName, string ContentType, ReadOnlyMemory<byte> Bytes, string? Path, string Kind = "output");
