using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Core;

/// <summary>Writes each image of the batch as PNG to the output folder (ComfyUI's SaveImage).</summary>
public sealed class SaveImage : ComfyNode
{
    /// <summary>ComfyUI's SaveImage zlib level.</summary>
    private const int CompressLevel = 4;

    public override string ClassType => "SaveImage";

    public override string Category => "image";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("images", ComfyTypes.Image),
        InputSpec.OutputPrefix("filename_prefix", "ComfyUI"),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [];

    public override bool IsOutputNode => true;

    /// <summary>Every run writes new files (new counters), so a cached result would be wrong.</summary>
    public override bool IsIdempotent => false;

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken) =>
        ImageSaver.SaveAsync(inputs, inputs.String("filename_prefix"), temporary: false, CompressLevel, context, cancellationToken);
}
