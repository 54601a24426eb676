using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>One text conditioning: CLIP hidden states [1, 77*k, width] and its strength.</summary>
public sealed record ConditioningEntry(torch.Tensor Context, double Strength = 1.0)
{
    /// <summary>SDXL: the pooled vector and size values the model's adm vector is made of; null for SD 1.x.</summary>
    public PooledConditioning? Pooled { get; init; }

    /// <summary>The tensors this entry holds.</summary>
    public IEnumerable<torch.Tensor> Tensors => Pooled is null ? [Context] : [Context, Pooled.Output];

    /// <summary>This entry over <paramref name="map"/>(tensor) for each of its tensors.</summary>
    public ConditioningEntry Map(Func<torch.Tensor, torch.Tensor> map) => this with
    {
        Context = map(Context),
        Pooled = Pooled is null ? null : Pooled with { Output = map(Pooled.Output) },
    };
}

/// <summary>
/// ComfyUI's CONDITIONING: a list of entries. A sampler denoises with each entry of a list and
/// averages the predictions by strength (how ConditioningCombine's two prompts act together).
/// </summary>
public sealed record Conditioning(IReadOnlyList<ConditioningEntry> Entries) : ITensorHolder
{
    public IEnumerable<torch.Tensor> Tensors => Entries.SelectMany(e => e.Tensors);

    public ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map) =>
        new Conditioning([.. Entries.Select(e => e.Map(map))]);
}
