using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.Engine.Execution;

/// <summary>
/// Finds a node output that is not an image but NaN or Inf, so that the job fails naming the node
/// instead of saving a black or garbage picture or caching it. One isfinite().all() per IMAGE,
/// LATENT or MASK tensor; counting the bad values happens only on failure.
/// </summary>
internal static class NonFiniteOutputs
{
    public static NonFiniteOutputException? Find(IReadOnlyList<string> outputTypes, IReadOnlyList<object?> values)
    {
        for (var i = 0; i < Math.Min(outputTypes.Count, values.Count); i++)
        {
            if (outputTypes[i] is not (ComfyTypes.Image or ComfyTypes.Latent or ComfyTypes.Mask))
            {
                continue;
            }

            foreach (var tensor in TensorOwnership.TensorsOf(values[i]))
            {
                if (!AllFinite(tensor))
                {
                    using var scope = torch.NewDisposeScope();
                    var bad = tensor.isfinite().logical_not().sum().item<long>();
                    return new NonFiniteOutputException(i, outputTypes[i], bad, tensor.numel());
                }
            }
        }

        return null;
    }

    private static bool AllFinite(torch.Tensor tensor)
    {
        if (!tensor.is_floating_point())
        {
            return true;
        }

        using var finite = tensor.isfinite();
        using var all = finite.all();
        return all.item<bool>();
    }
}
