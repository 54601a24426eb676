using ComfySnap.Diffusion.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// Loads "checkpoints": SD 1.x, SDXL base or SDXL refiner, told apart by their keys; UNet, CLIP
/// (with the shared tokenizers) and VAE over mapped compute-ready weights.
/// </summary>
public sealed class CheckpointFileLoader(IOptions<ModelStoreOptions> options, ClipTokenizerProvider tokenizer, ILogger<CheckpointFileLoader> logger) : IModelLoader
{
    public string Kind => ModelKinds.Checkpoints;

    public ValueTask<object> LoadAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var family = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".sft", StringComparison.OrdinalIgnoreCase)
            ? Sdxl.SdxlLayout.Detect(MappedSafetensors.ReadKeys(path))
            : Sdxl.CheckpointFamily.Sd1;
        if (family != Sdxl.CheckpointFamily.Sd1)
        {
#pragma warning disable CA2000 // the model store owns what a loader returns and disposes it
            return ValueTask.FromResult<object>(LoadSdxl(path, family, watch));
#pragma warning restore CA2000
        }

#pragma warning disable CA2000 // the LoadedCheckpoint below takes it over; disposed here if that fails
        var checkpoint = SdCheckpoint.Load(path, options.Value.ResolvedConvertedDirectory, options.Value.ResolvedUnetDtype);
#pragma warning restore CA2000
        try
        {
            logger.LogInformation("Checkpoint {Checkpoint} mapped and built in {ElapsedMs:0} ms; {Ignored} unused keys ignored", checkpoint.ToString(), watch.Elapsed.TotalMilliseconds, checkpoint.IgnoredKeys.Count);
            if (checkpoint.ConversionNote is { } note)
            {
                logger.LogWarning("Converted weights of {Checkpoint} are private copies, not shared mappings: {Reason}", Path.GetFileName(path), note);
            }

#pragma warning disable CA2000 // the model store owns what a loader returns and disposes it
            return ValueTask.FromResult<object>(new LoadedCheckpoint(checkpoint, tokenizer.Tokenizer));
#pragma warning restore CA2000
        }
        catch
        {
            // Building the UNet and CLIP wrappers failed: the mapped weights would outlive the failed load.
            checkpoint.Dispose();
            throw;
        }
    }

    private Sdxl.LoadedSdxlCheckpoint LoadSdxl(string path, Sdxl.CheckpointFamily family, System.Diagnostics.Stopwatch watch)
    {
#pragma warning disable CA2000 // the LoadedSdxlCheckpoint below takes it over; disposed here if that fails
        var checkpoint = Sdxl.SdxlCheckpoint.Load(path, options.Value.ResolvedConvertedDirectory, family, options.Value.ResolvedUnetDtype);
#pragma warning restore CA2000
        try
        {
            logger.LogInformation("Checkpoint {Checkpoint} mapped and built in {ElapsedMs:0} ms; {Ignored} unused keys ignored", checkpoint.ToString(), watch.Elapsed.TotalMilliseconds, checkpoint.IgnoredKeys.Count);
            if (checkpoint.ConversionNote is { } note)
            {
                logger.LogWarning("Converted weights of {Checkpoint} are private copies, not shared mappings: {Reason}", Path.GetFileName(path), note);
            }

            return new Sdxl.LoadedSdxlCheckpoint(checkpoint, tokenizer.Tokenizer, tokenizer.ZeroPaddedTokenizer);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }
}

/// <summary>Loads "vae" files for VAELoader.</summary>
public sealed class VaeFileLoader(IOptions<ModelStoreOptions> options) : IModelLoader
{
    public string Kind => ModelKinds.Vae;

#pragma warning disable CA2000 // the model store owns what a loader returns and disposes it
    public ValueTask<object> LoadAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult<object>(VaeFile.Load(path, options.Value.ResolvedConvertedDirectory));
#pragma warning restore CA2000
}

/// <summary>Loads "loras" files for LoraLoader and LoraLoaderModelOnly: the file's tensors, mapped, shared by every job.</summary>
public sealed class LoraFileLoader : IModelLoader
{
    public string Kind => ModelKinds.Loras;

#pragma warning disable CA2000 // the model store owns what a loader returns and disposes it
    public ValueTask<object> LoadAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult<object>(Lora.LoraFile.Load(path));
#pragma warning restore CA2000
}
