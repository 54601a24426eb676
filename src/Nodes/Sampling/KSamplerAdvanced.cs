using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Sampling;

namespace ComfySnap.Nodes.Sampling;

/// <summary>ComfyUI's KSamplerAdvanced: a KSampler over a window of the schedule, with or without added noise and leftover noise.</summary>
public sealed class KSamplerAdvanced : ComfyNode
{
    private static readonly string[] EnableDisable = ["enable", "disable"];
    private static readonly string[] DisableEnable = ["disable", "enable"];

    public override string ClassType => "KSamplerAdvanced";

    public override string Category => "sampling";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("model", ComfyTypes.Model),
        InputSpec.Choice("add_noise", EnableDisable),
        SamplerInputs.Seed("noise_seed"),
        SamplerInputs.Steps,
        SamplerInputs.Cfg,
        SamplerInputs.SamplerName,
        SamplerInputs.Scheduler,
        .. SamplerInputs.Conditioning,
        InputSpec.Int("start_at_step", 0, 0, 10_000),
        InputSpec.Int("end_at_step", 10_000, 0, 10_000),
        InputSpec.Choice("return_with_leftover_noise", DisableEnable),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var settings = new KSamplerSettings(
            (ulong)inputs.Int("noise_seed"),
            (int)inputs.Int("steps"),
            inputs.Float("cfg"),
            inputs.String("sampler_name"),
            inputs.String("scheduler"),
            Denoise: 1.0,
            AddNoise: inputs.String("add_noise") == "enable")
        {
            Range = new StepRange((int)inputs.Int("start_at_step"), (int)inputs.Int("end_at_step"), inputs.String("return_with_leftover_noise") != "enable"),
        };
        return SamplerInputs.SampleAsync(inputs, settings, context, cancellationToken);
    }
}
