using ComfySnap.Diffusion.Models.StableDiffusion.Vae;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>What the model store keeps for any checkpoint family: the values CheckpointLoaderSimple outputs, and a warm-up.</summary>
public interface ILoadedCheckpoint : IPageableModel, IDisposable
{
    /// <summary>MODEL.</summary>
    DiffusionModel Model { get; }

    /// <summary>CLIP.</summary>
    IClipModel TextEncoder { get; }

    /// <summary>VAE.</summary>
    AutoencoderKl Vae { get; }

    /// <summary>A one-step render through every model at each of <paramref name="sizes"/>, so the first job at those sizes pays no first-call costs.</summary>
    void WarmUp(IReadOnlyList<WarmupSize> sizes, CancellationToken cancellationToken);
}
