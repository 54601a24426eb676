using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Upscale;

/// <summary>
/// ComfyUI's "Upscale Image (using Model)": IMAGE [B,H,W,C] to [B,H*s,W*s,C], run tile by tile on the
/// compute device (tile 512, overlap 32, halved on out-of-memory), clamped to 0..1, returned on the CPU.
/// </summary>
public sealed class ImageUpscaleWithModel : ComfyNode
{
    public const int DefaultTile = 512;

    public const int DefaultOverlap = 32;

    private readonly int tile;
    private readonly int overlap;

    public ImageUpscaleWithModel()
        : this(DefaultTile, DefaultOverlap)
    {
    }

    /// <summary>Smaller tiles let tests exercise the tiling on tiny images.</summary>
    public ImageUpscaleWithModel(int tile, int overlap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tile, overlap);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        this.tile = tile;
        this.overlap = overlap;
    }

    public override string ClassType => "ImageUpscaleWithModel";

    public override string Category => "image/upscaling";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("upscale_model", ComfyTypes.UpscaleModel),
        InputSpec.Link("image", ComfyTypes.Image),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var model = inputs.Get<UpscaleModel>("upscale_model");
        var image = inputs.Tensor("image");
        CheckImage(image, model);
        Core.SizeLimits.EnsureImage(context, "the upscaled image", image.shape[2] * model.Scale, image.shape[1] * model.Scale, image.shape[0]);

        // The model is shared through the store: one run at a time may move it off the CPU.
        await model.DeviceLock.WaitAsync(cancellationToken);
        try
        {
            return NodeResult.Of(Upscale(model, image, context, cancellationToken));
        }
        finally
        {
            model.DeviceLock.Release();
        }
    }

    private Tensor Upscale(UpscaleModel model, Tensor image, NodeContext context, CancellationToken cancellationToken)
    {
        var device = context.Device.ComputeDevice;
        var moved = device.type != DeviceType.CPU;
        if (moved)
        {
            model.Module.to(device);
        }

        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = image.to(float32).permute(0, 3, 1, 2).to(device);
            var output = TiledScale.RunWithOomFallback(
                input,
                model.Run,
                model.Scale,
                model.OutChannels,
                tile,
                overlap,
                context.ReportProgress,
                cancellationToken);
            return output.clamp_(0.0, 1.0).permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
        }
        finally
        {
            if (moved)
            {
                // The store keeps models on the CPU between runs (ComfyUI moves it back too).
                model.Module.to(CPU);
            }
        }
    }

    private static void CheckImage(Tensor image, UpscaleModel model)
    {
        if (image.ndim != 4 || image.shape[3] != model.InChannels)
        {
            throw new ArgumentException($"image must be [B,H,W,{model.InChannels}] for this {model.Architecture} model, got [{string.Join(',', image.shape)}]", nameof(image));
        }
    }
}
