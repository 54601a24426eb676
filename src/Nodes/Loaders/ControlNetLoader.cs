using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Loaders;

/// <summary>ComfyUI's "Load ControlNet Model": a ControlNet file (lllyasviel's or diffusers' layout) as CONTROL_NET, loaded once and shared.</summary>
public sealed class ControlNetLoader : ComfyNode
{
    public const string ModelKind = ModelKinds.ControlNet;

    public override string ClassType => "ControlNetLoader";

    public override string Category => "loaders";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.ModelFile("control_net_name", ModelKind)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.ControlNet];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var controlNet = await context.Models.LoadAsync<ControlNetFile>(ModelKind, inputs.String("control_net_name"), cancellationToken);
        return NodeResult.Of(controlNet);
    }
}
