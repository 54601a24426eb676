using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>k-diffusion's sampling helpers (to_d, get_ancestral_step), on 0-d float32 sigmas as there.</summary>
internal static class KDiffusion
{
    /// <summary>The Karras ODE derivative (x - denoised) / sigma.</summary>
    public static Tensor ToD(Tensor x, Tensor sigma, Tensor denoised)
    {
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        return (x - denoised) / sigma.view(shape);
    }

    /// <summary>
    /// get_ancestral_step with eta = 1: the sigma to step down to and the noise to add on top so that the
    /// total reaches <paramref name="sigmaTo"/>.
    /// </summary>
    public static (Tensor Down, Tensor Up) AncestralStep(Tensor sigmaFrom, Tensor sigmaTo)
    {
        var toSquared = sigmaTo.pow(2);
        var fromSquared = sigmaFrom.pow(2);
        var candidate = (toSquared * (fromSquared - toSquared) / fromSquared).pow(0.5);
        // Python's min(sigma_to, candidate): the candidate only if strictly smaller.
        var up = candidate.item<float>() < sigmaTo.item<float>() ? candidate : sigmaTo;
        var down = (toSquared - up.pow(2)).pow(0.5);
        return (down, up);
    }
}
