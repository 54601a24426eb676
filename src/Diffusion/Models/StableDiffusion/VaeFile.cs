using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>A standalone VAE file (VAELoader): keys at the top level or under first_stage_model., weights compute-ready and mapped.</summary>
public sealed class VaeFile : IPageableModel, IDisposable
{
    private readonly ComputeWeights _weights;

    private VaeFile(ComputeWeights weights, AutoencoderKl model)
    {
        _weights = weights;
        Model = model;
    }

    public AutoencoderKl Model { get; }

    public IReadOnlyList<string> MappedFiles => _weights.MappedFiles;

    public static VaeFile Load(string path, string? conversionDirectory)
    {
        var weights = ComputeWeights.Open(path, conversionDirectory, _ => true, _ => false, key => key);
        try
        {
            var shapes = weights.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
            var prefix = shapes.ContainsKey(CheckpointLayout.VaePrefix + "encoder.conv_in.weight") ? CheckpointLayout.VaePrefix : "";
            var config = VaeConfig.Infer(shapes, prefix);
            var model = new AutoencoderKl(new StateDictBinder(weights.Tensors, "VAE").Root(prefix), config);
            return new VaeFile(weights, model);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public long PageIn(CancellationToken cancellationToken) => MappedWeights.PageIn(_weights.Tensors.Values, cancellationToken);

    public void Dispose() => _weights.Dispose();
}
