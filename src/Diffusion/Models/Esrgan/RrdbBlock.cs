using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.Esrgan;

/// <summary>Residual-in-residual dense block: rdb1..rdb3 in a row, scaled by 0.2, plus the input.</summary>
public sealed class RrdbBlock : nn.Module<Tensor, Tensor>
{
    private readonly ResidualDenseBlock[] rdbs;

    public RrdbBlock(int numFeat, int numGrowCh)
        : base(nameof(RrdbBlock))
    {
        rdbs = new ResidualDenseBlock[3];
        for (var i = 0; i < 3; i++)
        {
            rdbs[i] = new ResidualDenseBlock(numFeat, numGrowCh);
            register_module($"rdb{i + 1}", rdbs[i]);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var rdb in rdbs)
        {
            x = rdb.call(x);
        }

        return x.mul_(RrdbNet.ResidualScale).add_(input).MoveToOuterDisposeScope();
    }
}
