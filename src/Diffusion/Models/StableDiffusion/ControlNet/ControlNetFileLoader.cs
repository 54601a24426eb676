using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>Loads "controlnet" files for ControlNetLoader.</summary>
public sealed class ControlNetFileLoader(IOptions<ModelStoreOptions> options, ILogger<ControlNetFileLoader> logger) : IModelLoader
{
    public string Kind => ModelKinds.ControlNet;

    public ValueTask<object> LoadAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
#pragma warning disable CA2000 // the model store owns what a loader returns and disposes it
        var file = ControlNetFile.Load(path, options.Value.ResolvedConvertedDirectory, options.Value.ResolvedUnetDtype);
#pragma warning restore CA2000
        logger.LogInformation("ControlNet {ControlNet} loaded; {Ignored} unused keys ignored", file.ToString(), file.IgnoredKeys);
        return ValueTask.FromResult<object>(file);
    }
}
