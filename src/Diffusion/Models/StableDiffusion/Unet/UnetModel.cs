using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// The SD 1.x and SDXL denoiser (CompVis openaimodel / sgm UNetModel, spatial transformer,
/// legacy=false) over bound weights, keyed exactly as in the checkpoint under
/// <c>model.diffusion_model.</c>: time_embed, label_emb (SDXL), input_blocks, middle_block,
/// output_blocks, out. Predicts the noise (EPS).
/// </summary>
public sealed class UnetModel
{
    private readonly Linear _time1;
    private readonly Linear _time2;
    private readonly Linear? _label1;
    private readonly Linear? _label2;
    private readonly IUnetLayer[][] _inputBlocks;
    private readonly IUnetLayer[] _middle;
    private readonly IUnetLayer[][] _outputBlocks;
    private readonly GroupNorm _outNorm;
    private readonly Conv2d _outConv;

    public UnetModel(WeightScope w, UnetConfig config)
    {
        Config = config;
        var mc = config.ModelChannels;
        var embed = config.TimeEmbedDim;
        _time1 = new Linear(w["time_embed"][0], mc, embed);
        _time2 = new Linear(w["time_embed"][2], embed, embed);
        if (config.AdmInChannels > 0)
        {
            // sgm's "sequential" label embedding: Linear, SiLU, Linear from the adm vector y.
            _label1 = new Linear(w["label_emb"][0][0], config.AdmInChannels, embed);
            _label2 = new Linear(w["label_emb"][0][2], embed, embed);
        }

        // The way down is shared with ControlNet, which copies exactly this half.
        var (inputs, inputChannels) = UnetInputBlocks.Build(w["input_blocks"], config);
        _inputBlocks = inputs;
        var skipChannels = new Stack<long>(inputChannels);
        var ch = inputChannels[^1];
        var ds = 1 << (config.ChannelMult.Count - 1);
        _middle = UnetInputBlocks.Middle(w["middle_block"], ch, config);

        var outputs = new List<IUnetLayer[]>();
        for (var level = config.ChannelMult.Count - 1; level >= 0; level--)
        {
            for (var i = 0; i <= config.ResBlocksAt(level); i++)
            {
                var block = w["output_blocks"][outputs.Count];
                var outCh = config.ChannelMult[level] * mc;
                var layers = new List<IUnetLayer> { new UnetResBlock(block[0], ch + skipChannels.Pop(), embed, outCh) };
                ch = outCh;
                if (config.AttentionResolutions.Contains(ds))
                {
                    layers.Add(new SpatialTransformer(block[layers.Count], ch, config, config.DepthAt(level)));
                }

                if (level != 0 && i == config.ResBlocksAt(level))
                {
                    layers.Add(new UnetUpsample(block[layers.Count], ch));
                    ds /= 2;
                }

                outputs.Add([.. layers]);
            }
        }

        _outputBlocks = [.. outputs];
        _outNorm = new GroupNorm(w["out"][0], ch, 1e-5);
        _outConv = new Conv2d(w["out"][2], mc, config.OutChannels, 3);
    }

    public UnetConfig Config { get; }

    /// <summary>
    /// The dtype the layers compute in, that of the bound weights: float32, or bfloat16 with
    /// Models:UnetDtype=bf16. Inputs are converted to it and the output back to float32 (ComfyUI's
    /// apply_model), so the sampler's math stays float32 either way.
    /// </summary>
    public ScalarType Dtype => _outConv.Dtype;

    /// <summary>
    /// Noise prediction for latents <paramref name="x"/> [B,4,h,w] at float timesteps [B] with context
    /// [B,T,C]; <paramref name="y"/> [B,adm] is the adm vector of models with a label embedding (SDXL);
    /// <paramref name="control"/> adds ControlNet residuals to the middle block and the skip connections (openaimodel apply_control).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor timesteps, Tensor context, Tensor? y = null, ControlResiduals? control = null)
    {
        using var scope = NewDisposeScope();
        var dtype = Dtype;
        // The sinusoids are computed in float32, then converted (openaimodel's t_emb.to(x.dtype)).
        var emb = _time2.Forward(nn.functional.silu(_time1.Forward(ComputeDtype.To(TimestepEmbedding.Sinusoidal(timesteps, Config.ModelChannels), dtype))));
        if (_label1 is not null && _label2 is not null)
        {
            var label = y ?? throw new ArgumentException($"this UNet needs an adm vector y of width {Config.AdmInChannels}", nameof(y));
            emb = emb.add_(_label2.Forward(nn.functional.silu(_label1.Forward(ComputeDtype.To(label, dtype)))));
        }

        x = ComputeDtype.To(x, dtype);
        context = ComputeDtype.To(context, dtype);

        var skips = new Stack<Tensor>();
        var h = x;
        foreach (var block in _inputBlocks)
        {
            h = RunBlock(block, h, emb, context, null);
            skips.Push(h);
        }

        h = RunBlock(_middle, h, emb, context, null);
        control?.AddToMiddle(h);
        foreach (var block in _outputBlocks)
        {
            var skip = skips.Pop();
            control?.AddToSkip(skip, skips.Count);
            var joined = cat([h, skip], 1);
            h.Dispose();
            skip.Dispose();
            var upsampleTo = skips.Count > 0 ? new[] { skips.Peek().shape[2], skips.Peek().shape[3] } : null;
            h = RunBlock(block, joined, emb, context, upsampleTo);
            joined.Dispose();
        }

        return ComputeDtype.To(_outConv.Forward(nn.functional.silu(_outNorm.Forward(h))), ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Runs a block's layers, freeing each intermediate as soon as the next layer has used it.</summary>
    internal static Tensor RunBlock(IUnetLayer[] layers, Tensor input, Tensor emb, Tensor context, long[]? upsampleTo)
    {
        var h = input;
        foreach (var layer in layers)
        {
            var next = layer.Forward(h, emb, context, upsampleTo);
            if (!ReferenceEquals(h, input))
            {
                h.Dispose();
            }

            h = next;
        }

        return h;
    }
}
