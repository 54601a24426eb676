using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.Esrgan;

/// <summary>
/// Five densely connected 3x3 convs (conv1..conv5): each sees the input and all earlier outputs;
/// the block returns conv5 * 0.2 + input.
/// </summary>
public sealed class ResidualDenseBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d[] convs;

    public ResidualDenseBlock(int numFeat, int numGrowCh)
        : base(nameof(ResidualDenseBlock))
    {
        convs = new Conv2d[5];
        for (var i = 0; i < 5; i++)
        {
            var outChannels = i == 4 ? numFeat : numGrowCh;
            convs[i] = nn.Conv2d(numFeat + (i * numGrowCh), outChannels, kernel_size: 3, padding: 1);
            register_module($"conv{i + 1}", convs[i]);
        }
    }

    public override Tensor forward(Tensor input)
    {
        // Intermediates are freed per block: a 512px tile would otherwise hold gigabytes until the run ends.
        using var scope = NewDisposeScope();
        var features = new List<Tensor> { input };
        for (var i = 0; i < 4; i++)
        {
            var x = convs[i].call(features.Count == 1 ? input : cat(features, 1));
            features.Add(nn.functional.leaky_relu(x, RrdbNet.NegativeSlope, inplace: true));
        }

        var x5 = convs[4].call(cat(features, 1));
        return x5.mul_(RrdbNet.ResidualScale).add_(input).MoveToOuterDisposeScope();
    }
}
