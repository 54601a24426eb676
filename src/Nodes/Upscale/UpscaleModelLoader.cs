using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.Esrgan;

namespace ComfySnap.Nodes.Upscale;

/// <summary>ComfyUI's "Load Upscale Model": reads an ESRGAN (RRDBNet) checkpoint once through the model store.</summary>
public sealed class UpscaleModelLoader : ComfyNode
{
    public const string ModelKind = ModelKinds.UpscaleModels;

    public override string ClassType => "UpscaleModelLoader";

    public override string Category => "loaders";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.ModelFile("model_name", ModelKind)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.UpscaleModel];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var name = inputs.String("model_name");
        var model = await context.Models.GetOrLoadAsync<UpscaleModel>(
            ModelKind,
            name,
            (path, ct) =>
            {
                ct.ThrowIfCancellationRequested();
                return ValueTask.FromResult(EsrganLoader.Load(path));
            },
            cancellationToken);
        return NodeResult.Of(model);
    }
}
