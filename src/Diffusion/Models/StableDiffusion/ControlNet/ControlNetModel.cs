using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// The ControlNet of lllyasviel/ControlNet (cldm.py ControlNet, as ComfyUI's comfy/cldm/cldm.py
/// runs it) over bound weights in the original layout: a copy of the UNet's time embedding, input
/// blocks and middle block, a hint block that turns the control image into the first block's
/// features, and a 1x1 "zero" convolution after every input block and the middle block whose
/// outputs are the residuals the UNet adds (<see cref="ControlResiduals"/>).
/// </summary>
public sealed class ControlNetModel
{
    /// <summary>input_hint_block: (out channels, stride) of its convolutions, SiLU between them; the last one maps to the model channels.</summary>
    private static readonly (long Channels, long Stride)[] HintLayout = [(16, 1), (16, 1), (32, 2), (32, 1), (96, 2), (96, 1), (256, 2)];

    private readonly Linear _time1;
    private readonly Linear _time2;
    private readonly Linear? _label1;
    private readonly Linear? _label2;
    private readonly Conv2d[] _hint;
    private readonly IUnetLayer[][] _inputBlocks;
    private readonly Conv2d[] _zeroConvs;
    private readonly IUnetLayer[] _middle;
    private readonly Conv2d _middleOut;

    public ControlNetModel(WeightScope w, ControlNetConfig config)
    {
        Config = config;
        var unet = config.Unet;
        var mc = unet.ModelChannels;
        var embed = unet.TimeEmbedDim;
        _time1 = new Linear(w["time_embed"][0], mc, embed);
        _time2 = new Linear(w["time_embed"][2], embed, embed);
        if (unet.AdmInChannels > 0)
        {
            // SDXL: the UNet's label embedding of the adm vector, added to the time embedding.
            _label1 = new Linear(w["label_emb"][0][0], unet.AdmInChannels, embed);
            _label2 = new Linear(w["label_emb"][0][2], embed, embed);
        }

        var hint = new List<Conv2d>();
        var hintChannels = config.HintChannels;
        foreach (var (channels, stride) in HintLayout)
        {
            hint.Add(new Conv2d(w["input_hint_block"][hint.Count * 2], hintChannels, channels, 3, stride));
            hintChannels = channels;
        }

        hint.Add(new Conv2d(w["input_hint_block"][hint.Count * 2], hintChannels, mc, 3));
        _hint = [.. hint];

        var (blocks, channelsPerBlock) = UnetInputBlocks.Build(w["input_blocks"], unet);
        _inputBlocks = blocks;
        _zeroConvs = [.. channelsPerBlock.Select((ch, i) => new Conv2d(w["zero_convs"][i][0], ch, ch, 1))];
        var last = channelsPerBlock[^1];
        _middle = UnetInputBlocks.Middle(w["middle_block"], last, unet);
        _middleOut = new Conv2d(w["middle_block_out"][0], last, last, 1);
    }

    public ControlNetConfig Config { get; }

    /// <summary>The dtype the layers compute in (the bound weights'): the residuals come out in it.</summary>
    public ScalarType Dtype => _middleOut.Dtype;

    /// <summary>
    /// The residuals for latents <paramref name="x"/> [B,4,h,w] (already scaled as the UNet's input),
    /// the control image <paramref name="hint"/> [B or 1, C, 8h, 8w], float timesteps [B], context [B,T,C]
    /// and, for SDXL ControlNets, the adm vector <paramref name="y"/> [B,adm].
    /// </summary>
    public ControlResiduals Forward(Tensor x, Tensor hint, Tensor timesteps, Tensor context, Tensor? y = null)
    {
        using var scope = NewDisposeScope();
        var dtype = Dtype;
        var emb = _time2.Forward(nn.functional.silu(_time1.Forward(ComputeDtype.To(TimestepEmbedding.Sinusoidal(timesteps, Config.Unet.ModelChannels), dtype))));
        if (_label1 is not null && _label2 is not null)
        {
            var label = y ?? throw new ArgumentException($"this ControlNet needs an adm vector y of width {Config.Unet.AdmInChannels} (an SDXL model)", nameof(y));
            emb = emb.add_(_label2.Forward(nn.functional.silu(_label1.Forward(ComputeDtype.To(label, dtype)))));
        }

        x = ComputeDtype.To(x, dtype);
        context = ComputeDtype.To(context, dtype);
        var guided = ComputeDtype.To(hint, dtype);
        for (var i = 0; i < _hint.Length; i++)
        {
            var next = _hint[i].Forward(guided);
            guided = i == _hint.Length - 1 ? next : nn.functional.silu(next);
        }

        var skips = new List<Tensor>(_inputBlocks.Length);
        var h = x;
        for (var i = 0; i < _inputBlocks.Length; i++)
        {
            var next = UnetModel.RunBlock(_inputBlocks[i], h, emb, context, null);
            h = ReferenceEquals(h, x) ? next : Activations.Replace(h, next);
            if (i == 0)
            {
                // The hint enters after the first convolution (a [1,...] hint broadcasts over the batch).
                h.add_(guided);
            }

            skips.Add(_zeroConvs[i].Forward(h).MoveToOuterDisposeScope());
        }

        h = Activations.Replace(h, UnetModel.RunBlock(_middle, h, emb, context, null));
        return new ControlResiduals(skips, _middleOut.Forward(h).MoveToOuterDisposeScope());
    }
}
