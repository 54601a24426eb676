using ComfySnap.NodeSdk;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Core;

/// <summary>A zero latent [B,4,H/8,W/8] for a width x height image (ComfyUI's EmptyLatentImage).</summary>
public sealed class EmptyLatentImage : ComfyNode
{
    public override string ClassType => "EmptyLatentImage";

    public override string Category => "latent";

    // ComfyUI declares step 8; like ComfyUI, other sizes are floored to a multiple of 8.
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Int("width", 512, 16, SizeLimits.MaxResolution),
        InputSpec.Int("height", 512, 16, SizeLimits.MaxResolution),
        InputSpec.Int("batch_size", 1, 1, 4096),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ImageSizeInputs ImageSize { get; } = new("width", "height", "batch_size");

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (width, height, batch) = (inputs.Int("width"), inputs.Int("height"), inputs.Int("batch_size"));
        var samples = zeros([batch, 4, height / 8, width / 8], ScalarType.Float32, context.Device.ComputeDevice);
        return ValueTask.FromResult(NodeResult.Of(new Latent(samples)));
    }
}
