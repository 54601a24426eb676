using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.Esrgan;

/// <summary>
/// ESRGAN's generator as BasicSR / Real-ESRGAN define it, with their state-dict key names:
/// conv_first, body.N (RRDB blocks), conv_body, two nearest-x2 upsampling convs (conv_up1, conv_up2),
/// conv_hr and conv_last. It always upsamples x4 inside; x2 and x1 models pixel_unshuffle the input first.
/// </summary>
public sealed class RrdbNet : nn.Module<Tensor, Tensor>
{
    public const double NegativeSlope = 0.2;

    public const double ResidualScale = 0.2;

    private readonly Conv2d convFirst;
    private readonly RrdbBlock[] body;
    private readonly Conv2d convBody;
    private readonly Conv2d convUp1;
    private readonly Conv2d convUp2;
    private readonly Conv2d convHr;
    private readonly Conv2d convLast;

    public RrdbNet(RrdbNetConfig config)
        : base(nameof(RrdbNet))
    {
        Config = config;
        var nf = config.NumFeat;
        var foldedIn = config.InChannels * config.UnshuffleFactor * config.UnshuffleFactor;

        convFirst = Conv3x3(foldedIn, nf);
        body = Enumerable.Range(0, config.NumBlock).Select(_ => new RrdbBlock(nf, config.NumGrowCh)).ToArray();
        convBody = Conv3x3(nf, nf);
        convUp1 = Conv3x3(nf, nf);
        convUp2 = Conv3x3(nf, nf);
        convHr = Conv3x3(nf, nf);
        convLast = Conv3x3(nf, config.OutChannels);

        register_module("conv_first", convFirst);
        register_module("body", nn.ModuleList(body));
        register_module("conv_body", convBody);
        register_module("conv_up1", convUp1);
        register_module("conv_up2", convUp2);
        register_module("conv_hr", convHr);
        register_module("conv_last", convLast);
    }

    public RrdbNetConfig Config { get; }

    /// <summary>[B,in,H,W] to [B,out,H*scale,W*scale]; H and W must be multiples of <see cref="RrdbNetConfig.SizeMultiple"/>.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = Config.UnshuffleFactor > 1 ? nn.functional.pixel_unshuffle(input, Config.UnshuffleFactor) : input;

        var feat = convFirst.call(x);
        var trunk = feat;
        foreach (var block in body)
        {
            var next = block.call(trunk);
            if (!ReferenceEquals(trunk, feat))
            {
                trunk.Dispose();
            }

            trunk = next;
        }

        var bodyFeat = convBody.call(trunk);
        feat = feat.add_(bodyFeat);

        feat = LeakyRelu(convUp1.call(UpsampleNearest2x(feat)));
        feat = LeakyRelu(convUp2.call(UpsampleNearest2x(feat)));
        var output = convLast.call(LeakyRelu(convHr.call(feat)));
        return output.MoveToOuterDisposeScope();
    }

    private static Conv2d Conv3x3(long inChannels, long outChannels) =>
        nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);

    private static Tensor LeakyRelu(Tensor x) => nn.functional.leaky_relu(x, NegativeSlope, inplace: true);

    private static Tensor UpsampleNearest2x(Tensor x) =>
        nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
}
