using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion.Clip;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Text;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// ComfyUI's CLIP: the text model, its tokenizer and the layer CLIPSetLastLayer chose (-1 = last).
/// <see cref="Weights"/> are what the text model is bound to: the checkpoint's, or LoRA-patched
/// copies of some, which this value owns (the engine frees them with it).
/// </summary>
public sealed record ClipEncoder(ClipTextModel Model, SdTokenizer Tokenizer, PatchedWeights Weights, int StopAtLayer = -1) : IClipModel
{
    public ConditioningEntry EncodePrompt(string text) => new(ClipTextEncoding.Encode(this, text));

    public IClipModel WithStopAtLayer(int stopAtLayer) => this with { StopAtLayer = stopAtLayer };

    public IEnumerable<torch.Tensor> Tensors => Weights.Owned;

    public ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map)
    {
        var mapped = Weights.MapOwned(map);
        return ReferenceEquals(mapped, Weights) ? this : Over(mapped);
    }

    /// <summary>The same encoder over other weights: only layer objects are rebuilt, no tensor is copied.</summary>
    public ClipEncoder Over(PatchedWeights weights) => this with
    {
        Model = new ClipTextModel(new StateDictBinder(weights.All, "LoRA-patched CLIP").Root(CheckpointLayout.ClipPrefix), Model.Config),
        Weights = weights,
    };
}
