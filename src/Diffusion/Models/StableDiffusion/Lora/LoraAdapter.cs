using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// One weight's low-rank update from a LoRA file: up [out, rank(,1,1)], down [rank, in(,kh,kw)],
/// an optional LoCon mid kernel and alpha. The tensors stay the file's (never disposed here).
/// </summary>
public sealed record LoraAdapter(string Name, Tensor Up, Tensor Down, Tensor? Mid, double? Alpha)
{
    /// <summary>The rank, which alpha is divided by (ComfyUI: down's first dimension).</summary>
    public long Rank => Down.shape[0];

    /// <summary>Whether up @ down (with mid folded in) can be reshaped to a weight of <paramref name="shape"/>.</summary>
    public bool Fits(long[] shape)
    {
        if (Up.Dimensions < 2 || Down.Dimensions < 2)
        {
            return false;
        }

        var rank = Down.shape[0];
        var downColumns = Product(Down.shape.Skip(1));
        if (Mid is not null)
        {
            if (Mid.Dimensions != 4 || Mid.shape[0] != rank || Mid.shape[1] != rank * Product(Down.shape.Skip(2)))
            {
                return false;
            }

            downColumns = Down.shape[1] * Mid.shape[2] * Mid.shape[3];
        }

        return Product(Up.shape.Skip(1)) == rank && Up.shape[0] * downColumns == Product(shape);
    }

    /// <summary>
    /// Adds strength * (alpha / rank) * (up @ down), reshaped to the weight, to <paramref name="weight"/>
    /// (float32, in place): ComfyUI's weight_adapter/lora.py calculate_weight, same operations in the same order.
    /// </summary>
    public void AddTo(Tensor weight, double strength)
    {
        using var scope = NewDisposeScope();
        var up = Up.to_type(float32);
        var down = Down.to_type(float32);
        var scale = Alpha is { } alpha ? alpha / Rank : 1.0;
        if (Mid is not null)
        {
            // LoCon's Tucker mid kernel folded into down: [rank, in, kh, kw].
            var mid = Mid.to_type(float32);
            long[] shape = [down.shape[1], down.shape[0], mid.shape[2], mid.shape[3]];
            down = mm(down.transpose(0, 1).flatten(1), mid.transpose(0, 1).flatten(1)).reshape(shape).transpose(0, 1);
        }

        var diff = mm(up.flatten(1), down.flatten(1)).reshape(weight.shape);
        weight.add_(diff.mul_(strength * scale));
    }

    private static long Product(IEnumerable<long> sizes) => sizes.Aggregate(1L, (a, b) => a * b);
}
