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

    /// <summary>A tiny render through every model, so the first job pays no first-call costs.</summary>
    void WarmUp(CancellationToken cancellationToken);
}
