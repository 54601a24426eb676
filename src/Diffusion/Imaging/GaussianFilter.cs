using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace ComfySnap.Diffusion.Imaging;

/// <summary>The gaussian kernel and reflect-padded depthwise convolution of ComfyUI's ImageBlur/ImageSharpen.</summary>
public static class GaussianFilter
{
    /// <summary>
    /// size x size kernel summing to 1, sampled on linspace(-1, 1) in both axes (ComfyUI's
    /// gaussian_kernel: sigma is relative to the kernel's half-width, not to pixels).
    /// </summary>
    public static Tensor Kernel(int size, double sigma, Device device)
    {
        var axis = linspace(-1, 1, size, ScalarType.Float32, device);
        var grid = meshgrid([axis, axis], indexing: "ij");
        var d = sqrt((grid[0] * grid[0]) + (grid[1] * grid[1]));
        var g = exp(-(d * d) / (2.0 * sigma * sigma));
        return g / g.sum();
    }

    /// <summary>
    /// Convolves each channel of [B,H,W,C] with a (2r+1)^2 kernel over a reflect-padded copy, as
    /// ComfyUI does (it pads by r, convolves with zero padding r and crops r: the same values).
    /// </summary>
    public static Tensor ConvolveReflect(Tensor image, Tensor kernel, int radius)
    {
        var (height, width, channels) = (image.shape[1], image.shape[2], image.shape[3]);
        if (radius >= height || radius >= width)
        {
            // Reflect padding needs more pixels than the radius; say so instead of torch's message.
            throw new ArgumentException($"a radius of {radius} needs an image larger than {radius}x{radius}; got {width}x{height}");
        }

        var weight = kernel.to(image.dtype).repeat(channels, 1, 1).unsqueeze(1);
        var padded = pad(image.permute(0, 3, 1, 2), (radius, radius, radius, radius), PaddingModes.Reflect);
        var filtered = conv2d(padded, weight, groups: channels);
        return filtered.permute(0, 2, 3, 1).contiguous();
    }
}
