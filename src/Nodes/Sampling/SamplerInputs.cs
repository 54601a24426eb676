using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Sampling;
using Cond = ComfySnap.Diffusion.Models.StableDiffusion.Conditioning;

namespace ComfySnap.Nodes.Sampling;

/// <summary>The inputs KSampler and KSamplerAdvanced share, declared as ComfyUI declares them.</summary>
internal static class SamplerInputs
{
    // ComfyUI allows seeds up to 2^64-1; workflow integers here are 64-bit signed.
    public static InputSpec Seed(string name) => InputSpec.Int(name, 0, 0, long.MaxValue);

    public static InputSpec Steps => InputSpec.Int("steps", 20, 1, 10_000);

    public static InputSpec Cfg => InputSpec.Float("cfg", 8.0, 0.0, 100.0);

    // Only what ComfySnap implements: any other ComfyUI sampler or scheduler fails validation
    // with value_not_in_list, before anything runs.
    public static InputSpec SamplerName => InputSpec.Choice("sampler_name", Samplers.Names);

    public static InputSpec Scheduler => InputSpec.Choice("scheduler", Schedulers.Names);

    public static IEnumerable<InputSpec> Conditioning =>
    [
        InputSpec.Link("positive", ComfyTypes.Conditioning),
        InputSpec.Link("negative", ComfyTypes.Conditioning),
        InputSpec.Link("latent_image", ComfyTypes.Latent),
    ];

    /// <summary>Runs the sampler on the node's model, prompts and latent; progress goes to the job.</summary>
    public static ValueTask<NodeResult> SampleAsync(NodeInputs inputs, KSamplerSettings settings, NodeContext context, CancellationToken cancellationToken)
    {
        var latent = KSamplerRun.Sample(
            inputs.Get<DiffusionModel>("model"),
            inputs.Get<Cond>("positive"),
            inputs.Get<Cond>("negative"),
            inputs.Get<Latent>("latent_image"),
            settings,
            context.ReportProgress,
            cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(latent));
    }
}
