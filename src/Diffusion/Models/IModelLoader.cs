namespace ComfySnap.Diffusion.Models;

/// <summary>Loads one kind of model file into memory; used to preload models at boot.</summary>
public interface IModelLoader
{
    string Kind { get; }

    ValueTask<object> LoadAsync(string path, CancellationToken cancellationToken);
}

/// <summary>ESRGAN-family upscale models (the same loader UpscaleModelLoader uses).</summary>
public sealed class UpscaleModelFileLoader : IModelLoader
{
    public string Kind => ModelKinds.UpscaleModels;

#pragma warning disable CA2000 // the model store owns what a loader returns and disposes it
    public ValueTask<object> LoadAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult<object>(Esrgan.EsrganLoader.Load(path));
#pragma warning restore CA2000
}
