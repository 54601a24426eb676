using ComfySnap.Diffusion.Models.StableDiffusion.Clip;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Text;
using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

/// <summary>
/// ComfyUI's CLIP for SDXL (comfy/sdxl_clip.py): base = CLIP-L and OpenCLIP-G side by side
/// (SDXLClipModel), refiner = OpenCLIP-G alone (SDXLRefinerClipModel, <see cref="ClipL"/> null).
/// Each has its tokenizer (same vocabulary; CLIP-G pads with 0). <see cref="StopAtLayer"/> is
/// CLIPSetLastLayer's choice for both encoders, null for SDXL's default (the penultimate layer,
/// without the final norm). <see cref="Weights"/>: the checkpoint's, or LoRA-patched copies of some,
/// which this value owns (the engine frees them with it).
/// </summary>
public sealed record SdxlClip(ClipTextModel? ClipL, OpenClipTextModel ClipG, SdTokenizer TokenizerL, SdTokenizer TokenizerG, PatchedWeights Weights, string ClipGPrefix, int? StopAtLayer = null) : IClipModel
{
    /// <summary>Both encoders' default layer: "hidden", -2.</summary>
    public const int DefaultLayer = -2;

    public int Layer => StopAtLayer ?? DefaultLayer;

    public IEnumerable<torch.Tensor> Tensors => Weights.Owned;

    public ConditioningEntry EncodePrompt(string text) => SdxlTextEncoding.EncodePrompt(this, text);

    public IClipModel WithStopAtLayer(int stopAtLayer) => this with { StopAtLayer = stopAtLayer };

    public ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map)
    {
        var mapped = Weights.MapOwned(map);
        return ReferenceEquals(mapped, Weights) ? this : Over(mapped);
    }

    /// <summary>The same encoders over other weights: only layer objects are rebuilt, no tensor is copied.</summary>
    public SdxlClip Over(PatchedWeights weights)
    {
        var binder = new StateDictBinder(weights.All, "LoRA-patched SDXL CLIP");
        return this with
        {
            ClipL = ClipL is null ? null : new ClipTextModel(binder.Root(SdxlLayout.ClipLPrefix), ClipL.Config),
            ClipG = new OpenClipTextModel(binder.Root(ClipGPrefix), ClipG.Config),
            Weights = weights,
        };
    }
}
