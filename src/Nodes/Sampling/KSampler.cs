using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;

namespace ComfySnap.Nodes.Sampling;

/// <summary>ComfyUI's KSampler: denoises a latent with the model, guided by the prompts; progress per step.</summary>
public sealed class KSampler : ComfyNode
{
    public override string ClassType => "KSampler";

    public override string Category => "sampling";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("model", ComfyTypes.Model),
        SamplerInputs.Seed("seed"),
        SamplerInputs.Steps,
        SamplerInputs.Cfg,
        SamplerInputs.SamplerName,
        SamplerInputs.Scheduler,
        .. SamplerInputs.Conditioning,
        InputSpec.Float("denoise", 1.0, 0.0, 1.0),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var settings = new KSamplerSettings(
            (ulong)inputs.Int("seed"),
            (int)inputs.Int("steps"),
            inputs.Float("cfg"),
            inputs.String("sampler_name"),
            inputs.String("scheduler"),
            inputs.Float("denoise"));
        return SamplerInputs.SampleAsync(inputs, settings, context, cancellationToken);
    }
}
