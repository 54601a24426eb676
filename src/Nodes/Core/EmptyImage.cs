using ComfySnap.NodeSdk;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Core;

/// <summary>A batch of images filled with one RGB colour (ComfyUI's EmptyImage).</summary>
public sealed class EmptyImage : ComfyNode
{
    public override string ClassType => "EmptyImage";

    public override string Category => "image";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Int("width", 512, 1, SizeLimits.MaxResolution),
        InputSpec.Int("height", 512, 1, SizeLimits.MaxResolution),
        InputSpec.Int("batch_size", 1, 1, 4096),
        InputSpec.Int("color", 0, 0, 0xFFFFFF),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ImageSizeInputs ImageSize { get; } = new("width", "height", "batch_size");

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (width, height, batch, color) = (inputs.Int("width"), inputs.Int("height"), inputs.Int("batch_size"), inputs.Int("color"));

        // Channel values computed in double and stored as float32, as ComfyUI's torch.full.
        float[] rgb = [(float)(((color >> 16) & 0xFF) / 255.0), (float)(((color >> 8) & 0xFF) / 255.0), (float)((color & 0xFF) / 255.0)];
        var pixel = tensor(rgb, [1, 1, 1, 3], ScalarType.Float32, context.Device.ComputeDevice);
        var image = pixel.expand(batch, height, width, 3).contiguous();
        return ValueTask.FromResult(NodeResult.Of(image));
    }
}
