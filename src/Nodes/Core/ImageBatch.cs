using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace ComfySnap.Nodes.Core;

/// <summary>
/// Concatenates two image batches (ComfyUI's ImageBatch). image2 is resized to image1's size
/// (bilinear, centre crop) when they differ, and an RGB side gains an opaque alpha channel
/// when the other is RGBA.
/// </summary>
public sealed class ImageBatch : ComfyNode
{
    public override string ClassType => "ImageBatch";

    public override string Category => "image";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("image1", ComfyTypes.Image),
        InputSpec.Link("image2", ComfyTypes.Image),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image1 = ImageTensors.Input(inputs, "image1", context);
        var image2 = ImageTensors.Input(inputs, "image2", context);
        SizeLimits.EnsureImage(context, "the batch", image1.shape[2], image1.shape[1], image1.shape[0] + image2.shape[0]);
        if (image1.shape[3] != image2.shape[3])
        {
            (image1, image2) = (WithChannels(image1, image2.shape[3]), WithChannels(image2, image1.shape[3]));
        }

        if (image1.shape[1] != image2.shape[1] || image1.shape[2] != image2.shape[2])
        {
            image2 = ImageResize.CommonUpscale(image2.movedim([-1], [1]), image1.shape[2], image1.shape[1], "bilinear", "center", cancellationToken).movedim([1], [-1]);
        }

        return ValueTask.FromResult(NodeResult.Of(cat([image1, image2], 0)));
    }

    // Pads the channel axis with 1.0 (opaque alpha) up to the other image's count.
    private static Tensor WithChannels(Tensor image, long other)
    {
        var missing = other - image.shape[3];
        return missing > 0 ? pad(image, [0, missing], PaddingModes.Constant, 1.0) : image;
    }
}
