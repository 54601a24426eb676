using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Core;

/// <summary>Writes each image as a temporary PNG for preview (ComfyUI's PreviewImage).</summary>
public sealed class PreviewImage : ComfyNode
{
    /// <summary>ComfyUI appends "_temp_" and five random letters; a fixed prefix keeps runs reproducible.</summary>
    private const string Prefix = "ComfyUI_temp";

    /// <summary>ComfyUI's PreviewImage favours speed over size.</summary>
    private const int CompressLevel = 1;

    public override string ClassType => "PreviewImage";

    public override string Category => "image";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Link("images", ComfyTypes.Image)];

    public override IReadOnlyList<string> Outputs { get; } = [];

    public override bool IsOutputNode => true;

    /// <summary>Every run writes new files, so a cached result would be wrong.</summary>
    public override bool IsIdempotent => false;

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken) =>
        ImageSaver.SaveAsync(inputs, Prefix, temporary: true, CompressLevel, context, cancellationToken);
}
