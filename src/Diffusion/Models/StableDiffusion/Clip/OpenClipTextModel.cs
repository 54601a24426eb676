using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Clip;

/// <summary>What an OpenCLIP text tower gives a prompt: the chosen layer's hidden states and the projected pooled vector.</summary>
public sealed record OpenClipOutput(Tensor Hidden, Tensor Pooled);

/// <summary>
/// The OpenCLIP text tower in its own key layout (SDXL's CLIP-G under
/// <c>conditioner.embedders.1.model.</c>, the refiner's under <c>conditioner.embedders.0.model.</c>):
/// token_embedding, positional_embedding, transformer.resblocks.N, ln_final, text_projection.
/// </summary>
public sealed class OpenClipTextModel
{
    private readonly Tensor _tokenEmbedding;
    private readonly Tensor _positionEmbedding;
    private readonly OpenClipResidualBlock[] _blocks;
    private readonly LayerNorm _finalNorm;
    private readonly Tensor _textProjection;

    public OpenClipTextModel(WeightScope w, OpenClipTextConfig config)
    {
        Config = config;
        _tokenEmbedding = w["token_embedding"].Take("weight", [config.VocabSize, config.Width], WeightRole.TokenEmbedding);
        _positionEmbedding = w.Take("positional_embedding", [config.Positions, config.Width], WeightRole.PositionEmbedding);
        _blocks = [.. Enumerable.Range(0, config.Layers).Select(i => new OpenClipResidualBlock(w["transformer"]["resblocks"][i], config))];
        _finalNorm = new LayerNorm(w["ln_final"], config.Width);
        // [width, projection]: pooled = x @ text_projection (its fan-in is its row count).
        _textProjection = w.Take("text_projection", [config.Width, config.ProjectionDim], WeightRole.Weight, config.Width);
    }

    public OpenClipTextConfig Config { get; }

    /// <summary>
    /// Hidden states for token ids [B,T] and the pooled vectors [B,projection]. A negative
    /// <paramref name="stopAtLayer"/> within the depth picks that layer's output without ln_final
    /// (SDXL's default is -2, the penultimate); beyond the depth, the last layer after ln_final.
    /// Pooled: the last layer after ln_final at <paramref name="eosPositions"/> (each row's first
    /// end token), times text_projection, whatever layer the hidden states come from.
    /// </summary>
    public OpenClipOutput Encode(Tensor ids, int stopAtLayer, long[] eosPositions)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (ids.shape[0], ids.shape[1]);
        if (t > Config.Positions)
        {
            throw new ArgumentException($"{t} tokens do not fit OpenCLIP's {Config.Positions} positions", nameof(ids));
        }

        var hiddenLayer = stopAtLayer < 0 && -stopAtLayer <= Config.Layers ? Config.Layers + stopAtLayer : -1;
        var x = _tokenEmbedding.index_select(0, ids.flatten()).view(b, t, Config.Width).add(_positionEmbedding.narrow(0, 0, t));
        Tensor? chosen = null;
        for (var i = 0; i < Config.Layers; i++)
        {
            var next = _blocks[i].Forward(x);
            if (i == hiddenLayer)
            {
                chosen = next;
            }
            else if (!ReferenceEquals(x, chosen))
            {
                x.Dispose();
            }

            x = next;
        }

        var normalized = _finalNorm.Forward(x);
        var atEos = stack(Enumerable.Range(0, (int)b).Select(i => normalized[i, eosPositions[i]]).ToList(), 0);
        var pooled = atEos.matmul(_textProjection);
        return new OpenClipOutput((chosen ?? normalized).MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }
}
