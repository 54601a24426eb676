using ComfySnap.Worker.Models.Diffusion.Clip;
using ComfySnap.Worker.Text;

namespace ComfySnap.Worker.Models.Diffusion;

/// <summary>ComfyUI's CLIP: the text model, its tokenizer and the layer CLIPSetLastLayer chose (-1 = last).</summary>
public sealed record ClipEncoder(ClipTextModel Model, SdTokenizer Tokenizer, int StopAtLayer = -1);
