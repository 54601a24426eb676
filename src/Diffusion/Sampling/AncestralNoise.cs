using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// The noise that ancestral and LCM samplers add at each step (ComfyUI's default_noise_sampler): a CPU
/// generator of its own, seeded once from the KSampler seed, one standard normal float32 draw of the
/// latent's shape per call.
/// </summary>
public sealed class AncestralNoise : IDisposable
{
    /// <summary>
    /// Recent ComfyUI (v0.36-era comfy/k_diffusion/sampling.py) seeds this generator with seed + 1 when
    /// the latent is on the CPU (seed itself on a GPU); older releases used the seed on every device.
    /// </summary>
    public const ulong CpuSeedOffset = 1;

    private readonly Generator generator;

    /// <summary>
    /// A generator seeded with seed + offset. The sum must fit 64 bits: ComfyUI fails the same way
    /// (Python's "Overflow when unpacking long") for seed 2^64-1 with the +1 offset.
    /// </summary>
    public AncestralNoise(ulong seed, ulong offset = CpuSeedOffset)
    {
        if (seed > ulong.MaxValue - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(seed), seed, $"seed + {offset} does not fit 64 bits; ComfyUI fails on this seed too");
        }

        generator = new Generator(seed + offset);
    }

    /// <summary>One draw of standard normal noise, float32 on the CPU.</summary>
    public Tensor Next(long[] shape) => randn(shape, float32, CPU, generator: generator);

    public void Dispose() => generator.Dispose();
}
