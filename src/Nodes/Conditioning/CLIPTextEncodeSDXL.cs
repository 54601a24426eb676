using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using Cond = ComfySnap.Diffusion.Models.StableDiffusion.Conditioning;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>
/// ComfyUI's "CLIPTextEncodeSDXL" (comfy_extras/nodes_clip_sdxl.py): text_g to CLIP-G, text_l to
/// CLIP-L, and the size, crop and target values SDXL's adm vector is made of.
/// </summary>
public sealed class CLIPTextEncodeSDXL : ComfyNode
{
    /// <summary>nodes.py MAX_RESOLUTION.</summary>
    public const long MaxResolution = 16384;

    public override string ClassType => "CLIPTextEncodeSDXL";

    public override string Category => "advanced/conditioning";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("clip", ComfyTypes.Clip),
        InputSpec.Int("width", 1024, 0, MaxResolution),
        InputSpec.Int("height", 1024, 0, MaxResolution),
        InputSpec.Int("crop_w", 0, 0, MaxResolution),
        InputSpec.Int("crop_h", 0, 0, MaxResolution),
        InputSpec.Int("target_width", 1024, 0, MaxResolution),
        InputSpec.Int("target_height", 1024, 0, MaxResolution),
        InputSpec.String("text_g", "CLIP_G"),
        InputSpec.String("text_l", "CLIP_L"),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Conditioning];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clip = SdxlClipInput.Of(inputs, ClassType);
        var entry = SdxlTextEncoding.EncodePair(clip, inputs.String("text_g"), inputs.String("text_l"));
        var pooled = entry.Pooled! with
        {
            Width = inputs.Int("width"),
            Height = inputs.Int("height"),
            CropW = inputs.Int("crop_w"),
            CropH = inputs.Int("crop_h"),
            TargetWidth = inputs.Int("target_width"),
            TargetHeight = inputs.Int("target_height"),
        };
        return ValueTask.FromResult(NodeResult.Of(new Cond([entry with { Pooled = pooled }])));
    }
}
