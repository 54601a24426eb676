using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.NodeSdk;
using Cond = ComfySnap.Diffusion.Models.StableDiffusion.Conditioning;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>
/// ComfyUI's "Apply ControlNet": the ControlNet with the image, strength and step window
/// (start/end percent of the schedule) on the positive and the negative. Entries that had the same
/// ControlNets before share one copy, so their model calls stay batched; each copy adds to the
/// residuals of the ControlNets the entry had. The optional VAE is only used by ControlNets that
/// work on latents (none of those ComfySnap loads). Strength 0 passes both through.
/// </summary>
public sealed class ControlNetApplyAdvanced : ComfyNode
{
    public override string ClassType => "ControlNetApplyAdvanced";

    public override string Category => "conditioning/controlnet";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("positive", ComfyTypes.Conditioning),
        InputSpec.Link("negative", ComfyTypes.Conditioning),
        ControlNetInputs.ControlNet,
        ControlNetInputs.Image,
        ControlNetInputs.Strength,
        InputSpec.Float("start_percent", 0.0, 0.0, 1.0).WithStep(0.001),
        InputSpec.Float("end_percent", 1.0, 0.0, 1.0).WithStep(0.001),
        InputSpec.Link("vae", ComfyTypes.Vae).AsOptional(),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Conditioning, ComfyTypes.Conditioning];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var positive = inputs.Get<Cond>("positive");
        var negative = inputs.Get<Cond>("negative");
        var strength = inputs.Float("strength");
        if (strength == 0)
        {
            return ValueTask.FromResult(NodeResult.Of(positive, negative));
        }

        var controlNet = inputs.Get<ControlNetFile>("control_net");
        var image = ControlNetInputs.ControlImage(inputs, controlNet, context);
        var (start, end) = (inputs.Float("start_percent"), inputs.Float("end_percent"));

        // One copy per ControlNet chain the entries had (none counts as one), shared by positive and negative.
        var copies = new Dictionary<Guid, ControlApplication>();
        ConditioningEntry Apply(ConditioningEntry entry)
        {
            var key = entry.Control?.Id ?? Guid.Empty;
            if (!copies.TryGetValue(key, out var control))
            {
                control = new ControlApplication(controlNet, image, strength, start, end, entry.Control);
                copies[key] = control;
            }

            return entry with { Control = control, ControlAppliesToUncond = false };
        }

        return ValueTask.FromResult(NodeResult.Of(new Cond([.. positive.Entries.Select(Apply)]), new Cond([.. negative.Entries.Select(Apply)])));
    }
}
