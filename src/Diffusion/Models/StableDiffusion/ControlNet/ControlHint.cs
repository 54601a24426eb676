using ComfySnap.Diffusion.Imaging;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>The control image as a ControlNet takes it (comfy/controlnet.py get_control, broadcast_image_to).</summary>
public static class ControlHint
{
    /// <summary>Pixels per latent pixel: the hint is made 8 times the latent's size.</summary>
    public const int CompressionRatio = 8;

    /// <summary>
    /// <paramref name="image"/> (IMAGE [B,H,W,C]) as [B,C,8h,8w] for a latent batch <paramref name="x"/>
    /// [N,4,h,w] that runs <paramref name="batchedNumber"/> conditionings at once: resized with
    /// common_upscale ("nearest-exact", crop "center"), then fitted to the batch.
    /// </summary>
    public static Tensor Prepare(Tensor image, Tensor x, int batchedNumber)
    {
        using var scope = NewDisposeScope();
        var (height, width) = (x.shape[2] * CompressionRatio, x.shape[3] * CompressionRatio);
        var hint = ImageResize.CommonUpscale(image.movedim([-1], [1]), width, height, "nearest-exact", "center").to_type(ScalarType.Float32);
        if (hint.shape[0] != x.shape[0])
        {
            hint = BroadcastTo(hint, x.shape[0], batchedNumber);
        }

        return hint.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// broadcast_image_to: one image serves the whole batch as it is; otherwise the images are
    /// cut or cycled to one latent batch (target / batched) and that is repeated per conditioning.
    /// </summary>
    public static Tensor BroadcastTo(Tensor hint, long target, int batchedNumber)
    {
        if (hint.shape[0] == 1)
        {
            return hint;
        }

        var perBatch = target / batchedNumber;
        var t = hint.narrow(0, 0, Math.Min(perBatch, hint.shape[0]));
        if (perBatch > t.shape[0])
        {
            var n = t.shape[0];
            t = cat([.. Enumerable.Repeat(t, (int)(perBatch / n)), t.narrow(0, 0, perBatch % n)], 0);
        }

        return t.shape[0] == target ? t : cat([.. Enumerable.Repeat(t, batchedNumber)], 0);
    }
}
