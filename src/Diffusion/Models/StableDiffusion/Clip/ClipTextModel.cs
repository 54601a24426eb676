using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Clip;

/// <summary>
/// The CLIP text transformer (keys under <c>cond_stage_model.transformer.text_model.</c>): token
/// plus position embeddings, causal encoder layers, final layer norm.
/// </summary>
public sealed class ClipTextModel
{
    private readonly Tensor _tokenEmbedding;
    private readonly Tensor _positionEmbedding;
    private readonly ClipEncoderLayer[] _layers;
    private readonly LayerNorm _finalNorm;

    public ClipTextModel(WeightScope w, ClipTextConfig config)
    {
        Config = config;
        _tokenEmbedding = w["embeddings"]["token_embedding"].Take("weight", [config.VocabSize, config.Hidden], WeightRole.TokenEmbedding);
        _positionEmbedding = w["embeddings"]["position_embedding"].Take("weight", [config.Positions, config.Hidden], WeightRole.PositionEmbedding);
        _layers = [.. Enumerable.Range(0, config.Layers).Select(i => new ClipEncoderLayer(w["encoder"]["layers"][i], config))];
        _finalNorm = new LayerNorm(w["final_layer_norm"], config.Hidden);
    }

    public ClipTextConfig Config { get; }

    /// <summary>
    /// Hidden states for token ids [B,T]. <paramref name="stopAtLayer"/> is CLIPSetLastLayer's value:
    /// -1 (the default) is the last layer, -2 the penultimate...; the final layer norm is applied
    /// in every case, as SD 1.x does, unless <paramref name="normalizeHidden"/> is false (SDXL's
    /// encoders: a chosen layer's output is used as it is). Values beyond the depth fall back to
    /// the last layer, always normalised.
    /// </summary>
    public Tensor Encode(Tensor ids, int stopAtLayer = -1, bool normalizeHidden = true)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (ids.shape[0], ids.shape[1]);
        if (t > Config.Positions)
        {
            throw new ArgumentException($"{t} tokens do not fit CLIP's {Config.Positions} positions", nameof(ids));
        }

        var x = _tokenEmbedding.index_select(0, ids.flatten()).view(b, t, Config.Hidden).add(_positionEmbedding.narrow(0, 0, t));
        var hidden = stopAtLayer < 0 && -stopAtLayer <= Config.Layers;
        var run = hidden ? Config.Layers + stopAtLayer + 1 : Config.Layers;
        for (var i = 0; i < run; i++)
        {
            x = Activations.Replace(x, _layers[i].Forward(x));
        }

        return (hidden && !normalizeHidden ? x : _finalNorm.Forward(x)).MoveToOuterDisposeScope();
    }
}
