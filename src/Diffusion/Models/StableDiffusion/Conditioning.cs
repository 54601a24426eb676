using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>One text conditioning: CLIP hidden states [1, 77*k, width] and its strength.</summary>
public sealed record ConditioningEntry(torch.Tensor Context, double Strength = 1.0);

/// <summary>
/// ComfyUI's CONDITIONING: a list of entries. A sampler denoises with each entry of a list and
/// averages the predictions by strength (how ConditioningCombine's two prompts act together).
/// </summary>
public sealed record Conditioning(IReadOnlyList<ConditioningEntry> Entries) : ITensorHolder
{
    public IEnumerable<torch.Tensor> Tensors => Entries.Select(e => e.Context);

    public ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map) =>
        new Conditioning([.. Entries.Select(e => e with { Context = map(e.Context) })]);
}
