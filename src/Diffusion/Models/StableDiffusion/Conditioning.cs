using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>One text conditioning: CLIP hidden states [1, 77*k, width] and its strength.</summary>
public sealed record ConditioningEntry(torch.Tensor Context, double Strength = 1.0)
{
    /// <summary>SDXL: the pooled vector and size values the model's adm vector is made of; null for SD 1.x.</summary>
    public PooledConditioning? Pooled { get; init; }

    /// <summary>The ControlNets applied to this entry, the last applied first (null: none).</summary>
    public ControlApplication? Control { get; init; }

    /// <summary>ComfyUI's control_apply_to_uncond (ControlNetApply): a negative without ControlNets gets this entry's.</summary>
    public bool ControlAppliesToUncond { get; init; }

    /// <summary>The tensors this entry holds (control images included).</summary>
    public IEnumerable<torch.Tensor> Tensors =>
        new[] { Context }.Concat(Pooled is null ? [] : [Pooled.Output]).Concat((Control?.Chain ?? []).Select(c => c.Image));

    /// <summary>This entry over <paramref name="map"/>(tensor) for each of its tensors.</summary>
    public ConditioningEntry Map(Func<torch.Tensor, torch.Tensor> map) => Map(map, []);

    /// <summary>As <see cref="Map(Func{torch.Tensor, torch.Tensor})"/>; <paramref name="controls"/> keeps ControlNet chains shared by several entries shared.</summary>
    public ConditioningEntry Map(Func<torch.Tensor, torch.Tensor> map, Dictionary<Guid, ControlApplication> controls) => this with
    {
        Context = map(Context),
        Pooled = Pooled is null ? null : Pooled with { Output = map(Pooled.Output) },
        Control = Control?.MapImages(map, controls),
    };
}

/// <summary>
/// ComfyUI's CONDITIONING: a list of entries. A sampler denoises with each entry of a list and
/// averages the predictions by strength (how ConditioningCombine's two prompts act together).
/// </summary>
public sealed record Conditioning(IReadOnlyList<ConditioningEntry> Entries) : ITensorHolder
{
    /// <summary>Every tensor once: entries may share a context or a ControlNet's control image.</summary>
    public IEnumerable<torch.Tensor> Tensors =>
        Entries.SelectMany(e => e.Tensors).Distinct(ReferenceEqualityComparer.Instance).Cast<torch.Tensor>();

    public ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map)
    {
        // A tensor shared by several entries stays shared: mapped once.
        var mapped = new Dictionary<torch.Tensor, torch.Tensor>(ReferenceEqualityComparer.Instance);
        torch.Tensor MapOnce(torch.Tensor t)
        {
            if (!mapped.TryGetValue(t, out var m))
            {
                m = map(t);
                mapped[t] = m;
            }

            return m;
        }

        var controls = new Dictionary<Guid, ControlApplication>();
        return new Conditioning([.. Entries.Select(e => e.Map(MapOnce, controls))]);
    }
}
