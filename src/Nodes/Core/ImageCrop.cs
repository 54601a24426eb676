using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Core;

/// <summary>
/// Crops width x height from (x, y) (ComfyUI's ImageCrop): x and y are clamped into the image
/// and the crop stops at its edge, so the result may be smaller than asked.
/// </summary>
public sealed class ImageCrop : ComfyNode
{
    public override string ClassType => "ImageCrop";

    public override string Category => "image/transform";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("image", ComfyTypes.Image),
        InputSpec.Int("width", 512, 1, SizeLimits.MaxResolution),
        InputSpec.Int("height", 512, 1, SizeLimits.MaxResolution),
        InputSpec.Int("x", 0, 0, SizeLimits.MaxResolution),
        InputSpec.Int("y", 0, 0, SizeLimits.MaxResolution),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image = ImageTensors.Input(inputs, "image", context);
        var (imageHeight, imageWidth) = (image.shape[1], image.shape[2]);
        var x = Math.Min(inputs.Int("x"), imageWidth - 1);
        var y = Math.Min(inputs.Int("y"), imageHeight - 1);

        // Python slicing image[:, y:y+height, x:x+width] stops at the edge.
        var toX = Math.Min(x + inputs.Int("width"), imageWidth);
        var toY = Math.Min(y + inputs.Int("height"), imageHeight);
        var cropped = image.narrow(1, y, toY - y).narrow(2, x, toX - x).contiguous();
        return ValueTask.FromResult(NodeResult.Of(cropped));
    }
}
