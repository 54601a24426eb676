using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using Cond = ComfySnap.Diffusion.Models.StableDiffusion.Conditioning;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>ComfyUI's "CLIP Text Encode (Prompt)": a prompt (with (word:1.2) emphasis, any length) to CONDITIONING.</summary>
public sealed class CLIPTextEncode : ComfyNode
{
    public override string ClassType => "CLIPTextEncode";

    public override string Category => "conditioning";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.String("text"), InputSpec.Link("clip", ComfyTypes.Clip)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Conditioning];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entry = inputs.Get<IClipModel>("clip").EncodePrompt(inputs.String("text"));
        return ValueTask.FromResult(NodeResult.Of(new Cond([entry])));
    }
}
