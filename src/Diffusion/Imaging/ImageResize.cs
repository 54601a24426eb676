using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace ComfySnap.Diffusion.Imaging;

/// <summary>ComfyUI's comfy.utils.common_upscale for [B,C,H,W] tensors.</summary>
public static class ImageResize
{
    /// <summary>The upscale_method choices of ImageScale/ImageScaleBy, in ComfyUI's order.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"];

    /// <summary>The crop choices of ImageScale.</summary>
    public static IReadOnlyList<string> CropMethods { get; } = ["disabled", "center"];

    /// <summary>Resizes to width x height; with crop "center" first trims the source to the target aspect.</summary>
    public static Tensor CommonUpscale(Tensor samples, long width, long height, string method, string crop, CancellationToken cancellationToken = default)
    {
        if (width < 1 || height < 1)
        {
            throw new ArgumentException($"cannot resize to {width}x{height}: both sides must be at least 1");
        }

        var source = crop == "center" ? CenterCrop(samples, width, height) : samples;
        return method switch
        {
            "lanczos" => LanczosResampler.Resize(source, width, height, cancellationToken),
            _ => interpolate(source, [height, width], mode: Mode(method), align_corners: AlignCorners(method)),
        };
    }

    /// <summary>The crop offsets ComfyUI takes from each side (Python's round: half to even, like Math.Round).</summary>
    public static (long X, long Y) CenterCropOffsets(long oldWidth, long oldHeight, long width, long height)
    {
        var oldAspect = (double)oldWidth / oldHeight;
        var newAspect = (double)width / height;
        if (oldAspect > newAspect)
        {
            return ((long)Math.Round((oldWidth - (oldWidth * (newAspect / oldAspect))) / 2), 0);
        }

        if (oldAspect < newAspect)
        {
            return (0, (long)Math.Round((oldHeight - (oldHeight * (oldAspect / newAspect))) / 2));
        }

        return (0, 0);
    }

    private static Tensor CenterCrop(Tensor samples, long width, long height)
    {
        var (oldWidth, oldHeight) = (samples.shape[^1], samples.shape[^2]);
        var (x, y) = CenterCropOffsets(oldWidth, oldHeight, width, height);

        // An extreme aspect change would crop a side to nothing (ComfyUI then fails inside torch): keep one pixel.
        (x, y) = (Math.Min(x, (oldWidth - 1) / 2), Math.Min(y, (oldHeight - 1) / 2));
        return samples.narrow(-2, y, oldHeight - (y * 2)).narrow(-1, x, oldWidth - (x * 2));
    }

    // Python passes align_corners=None, which torch reads as false. libtorch's C++ API instead
    // warns on every call unless it is given explicitly for the modes it interpolates (this build
    // counts nearest-exact among them), and refuses it for area.
    private static bool? AlignCorners(string method) => method == "area" ? null : false;

    // torch's interpolate modes under ComfyUI's names.
    private static InterpolationMode Mode(string method) => method switch
    {
        "nearest-exact" => InterpolationMode.NearestExact,
        "bilinear" => InterpolationMode.Bilinear,
        "area" => InterpolationMode.Area,
        "bicubic" => InterpolationMode.Bicubic,
        _ => throw new ArgumentException($"unknown upscale_method '{method}'", nameof(method)),
    };
}
