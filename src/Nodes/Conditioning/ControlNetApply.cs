using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.NodeSdk;
using Cond = ComfySnap.Diffusion.Models.StableDiffusion.Conditioning;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>
/// ComfyUI's "Apply ControlNet (OLD)": every entry of the conditioning gets its own copy of the
/// ControlNet with the image and strength over the whole schedule, after any ControlNet it had;
/// the sampler also gives it to a negative that has none (control_apply_to_uncond).
/// Strength 0 passes the conditioning through.
/// </summary>
public sealed class ControlNetApply : ComfyNode
{
    public override string ClassType => "ControlNetApply";

    public override string Category => "conditioning/controlnet";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("conditioning", ComfyTypes.Conditioning),
        ControlNetInputs.ControlNet,
        ControlNetInputs.Image,
        ControlNetInputs.Strength,
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Conditioning];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var conditioning = inputs.Get<Cond>("conditioning");
        var strength = inputs.Float("strength");
        if (strength == 0)
        {
            return ValueTask.FromResult(NodeResult.Of(conditioning));
        }

        var controlNet = inputs.Get<ControlNetFile>("control_net");
        var image = ControlNetInputs.ControlImage(inputs, controlNet, context);
        var entries = conditioning.Entries.Select(e => e with
        {
            Control = new ControlApplication(controlNet, image, strength, 0.0, 1.0, e.Control),
            ControlAppliesToUncond = true,
        });
        return ValueTask.FromResult(NodeResult.Of(new Cond([.. entries])));
    }
}
