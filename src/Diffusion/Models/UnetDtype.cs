using TorchSharp;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// The dtype the UNet (and the ControlNets applied to it) computes in: <c>fp32</c> (the default,
/// ComfyUI's CPU pixels) or <c>bf16</c> (ComfyUI's --bf16-unet: faster on CPUs with AVX-512 BF16
/// or AMX, pixels slightly different). The sampler's math stays fp32 either way.
/// </summary>
public static class UnetDtype
{
    public const string Fp32 = "fp32";
    public const string Bf16 = "bf16";

    /// <summary>The accepted names, for error messages.</summary>
    public const string Accepted = "fp32 (the default) or bf16";

    /// <summary>The torch dtype named by <paramref name="name"/> (case-insensitive), or false for anything else.</summary>
    public static bool TryParse(string? name, out torch.ScalarType dtype)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case Fp32:
                dtype = torch.ScalarType.Float32;
                return true;
            case Bf16:
                dtype = torch.ScalarType.BFloat16;
                return true;
            default:
                dtype = torch.ScalarType.Float32;
                return false;
        }
    }

    /// <summary>The torch dtype named by <paramref name="name"/>; throws a message naming the setting for anything else.</summary>
    public static torch.ScalarType Parse(string? name) =>
        TryParse(name, out var dtype) ? dtype : throw new ArgumentException($"Models:UnetDtype must be {Accepted}, not '{name}'", nameof(name));

    /// <summary>The short name of <paramref name="dtype"/> as cache keys and file names carry it.</summary>
    public static string NameOf(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => Fp32,
        torch.ScalarType.BFloat16 => Bf16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"the UNet computes in {Accepted}"),
    };
}
