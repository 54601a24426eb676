using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Core;

/// <summary>
/// Reads an image from the input folder (ComfyUI's LoadImage): IMAGE [1,H,W,3] and MASK
/// [1,H,W] = 1 - alpha, or zeros [1,64,64] when the file has no alpha channel.
/// </summary>
public sealed class LoadImage : ComfyNode
{
    public override string ClassType => "LoadImage";

    public override string Category => "image";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.InputFile("image")];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image, ComfyTypes.Mask];

    /// <summary>The file behind a name can change between runs (ComfyUI hashes it in IS_CHANGED).</summary>
    public override bool IsIdempotent => false;

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var name = inputs.String("image");
        var path = context.Workspace.TryResolveInput(name)
            ?? throw new FileNotFoundException($"input image '{name}' is not in the input folder");
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        // Own scope: after the await this may run on a thread outside the engine's scope.
        using var scope = NewDisposeScope();
        var pixels = PngCodec.Decode(bytes, context.Device.ComputeDevice);
        var image = pixels.narrow(2, 0, 3).unsqueeze(0).contiguous();
        var mask = pixels.shape[2] == 4
            ? (1.0f - pixels.select(2, 3)).unsqueeze(0).contiguous()
            : zeros([1, 64, 64], ScalarType.Float32, context.Device.ComputeDevice);
        return NodeResult.Of(image.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }
}
