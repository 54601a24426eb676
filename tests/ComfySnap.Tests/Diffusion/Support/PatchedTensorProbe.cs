using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using TorchSharp;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>
/// A test node between the LoRA nodes and the sampler: passes MODEL and CLIP through and
/// remembers the patched weights their models are bound to (whatever the values claim to own),
/// so a test can check the engine frees each of them.
/// </summary>
public sealed class PatchedTensorProbe : ComfyNode
{
    public const string Name = "TestPatchedTensorProbe";

    private readonly List<torch.Tensor> _seen = [];
    private readonly HashSet<torch.Tensor> _known = new(ReferenceEqualityComparer.Instance);

    public override string ClassType => Name;

    public override string Category => "testing";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Link("model", ComfyTypes.Model), InputSpec.Link("clip", ComfyTypes.Clip)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Model, ComfyTypes.Clip];

    /// <summary>Every patched weight seen so far, one entry per handle.</summary>
    public IReadOnlyList<torch.Tensor> Seen => _seen;

    /// <summary>How many of <see cref="Seen"/> were UNet weights.</summary>
    public int SeenInModels { get; private set; }

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var model = inputs.Get<DiffusionModel>("model");
        var clip = inputs.Get<ClipEncoder>("clip");
        // By reference: a disposed tensor's Equals throws.
        var inModel = model.Weights.Patched.Values.Select(p => p.Value).Where(_known.Add).ToList();
        SeenInModels += inModel.Count;
        _seen.AddRange(inModel.Concat(clip.Weights.Patched.Values.Select(p => p.Value).Where(_known.Add)));
        return ValueTask.FromResult(NodeResult.Of(model, clip));
    }
}
