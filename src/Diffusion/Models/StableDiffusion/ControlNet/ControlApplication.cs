using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// One ControlNet applied to conditioning (ComfyUI's ControlNet object after set_cond_hint): the
/// file, the control image as the node got it (IMAGE [B,H,W,C], 0..1), the strength that scales
/// its residuals, the part of the schedule it acts in (start/end percent) and the ControlNet that
/// was applied to the same conditioning before it, whose residuals are added
/// (set_previous_controlnet). <see cref="Id"/> is its identity: ComfyUI batches conditionings
/// together only when they hold the same control object, and copies keep the Id.
/// </summary>
public sealed record ControlApplication(ControlNetFile Net, torch.Tensor Image, double Strength, double StartPercent, double EndPercent, ControlApplication? Previous)
{
    public Guid Id { get; init; } = Guid.NewGuid();

    /// <summary>This application and the ones before it, newest first.</summary>
    public IEnumerable<ControlApplication> Chain
    {
        get
        {
            for (var c = this; c is not null; c = c.Previous)
            {
                yield return c;
            }
        }
    }

    /// <summary>The same chain over mapped images, one copy per application (<paramref name="copies"/> shares them between entries).</summary>
    public ControlApplication MapImages(Func<torch.Tensor, torch.Tensor> map, Dictionary<Guid, ControlApplication> copies)
    {
        if (copies.TryGetValue(Id, out var copy))
        {
            return copy;
        }

        copy = this with { Image = map(Image), Previous = Previous?.MapImages(map, copies) };
        copies[Id] = copy;
        return copy;
    }
}
