using TorchSharp;

namespace ComfySnap.Worker.Models;

/// <summary>
/// Pages in weights that are mappings of a model file: reads one element per 4 KiB page, so every
/// page is resident (from the page cache, or from disk on a host whose cache is cold) before the
/// first job touches it, without copying the weights anywhere.
/// </summary>
public static class MappedWeights
{
    private const long PageBytes = 4096;

    /// <summary>Touches every page of every tensor; returns the bytes covered.</summary>
    public static long PageIn(StateDict state, CancellationToken cancellationToken) => PageIn(state.Tensors.Values, cancellationToken);

    /// <summary>Touches every page of every tensor; returns the bytes covered.</summary>
    public static long PageIn(IEnumerable<torch.Tensor> tensors, CancellationToken cancellationToken)
    {
        long bytes = 0;
        foreach (var tensor in tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var itemSize = MappedSafetensors.ItemSize(tensor.dtype);
            var count = tensor.numel();
            if (count == 0)
            {
                continue;
            }

            using var scope = torch.NewDisposeScope();
            // A strided view over the tensor's memory: one element per page, summed so it is read.
            tensor.view(-1).slice(0, 0, count, Math.Max(1, PageBytes / itemSize)).to_type(torch.float64).sum();
            bytes += count * itemSize;
        }

        return bytes;
    }
}
