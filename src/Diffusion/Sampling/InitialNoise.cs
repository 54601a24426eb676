using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// The KSampler's starting noise (comfy/sample.py prepare_noise): torch.manual_seed(seed) and one
/// float32 randn of the whole latent shape on the CPU, so batch item b continues the numbers of b - 1.
/// </summary>
public static class InitialNoise
{
    /// <summary>
    /// Standard normal noise of <paramref name="shape"/>. A fresh generator seeded with the seed draws the
    /// same numbers as ComfyUI's reseeded global one (checked against the reference in the tests); every
    /// 64-bit seed goes to the generator unchanged, as torch.manual_seed passes it.
    /// </summary>
    public static Tensor Prepare(ulong seed, long[] shape)
    {
        using var generator = new Generator(seed);
        return randn(shape, float32, CPU, generator: generator);
    }
}
