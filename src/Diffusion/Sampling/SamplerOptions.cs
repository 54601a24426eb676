namespace ComfySnap.Diffusion.Sampling;

/// <summary>What a sampler run needs besides the model, the latent and the sigmas.</summary>
/// <param name="Seed">The KSampler seed (ComfyUI's full 64-bit range); ancestral and LCM noise derive from it.</param>
public sealed record SamplerOptions(ulong Seed)
{
    /// <summary>Added to <see cref="Seed"/> for the ancestral/LCM noise generator; see <see cref="AncestralNoise.CpuSeedOffset"/>.</summary>
    public ulong NoiseSeedOffset { get; init; } = AncestralNoise.CpuSeedOffset;

    /// <summary>Called after each step with (steps done, total steps), total = sigmas - 1.</summary>
    public Action<int, int>? Progress { get; init; }

    /// <summary>Checked before each step; a cancelled run throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}
