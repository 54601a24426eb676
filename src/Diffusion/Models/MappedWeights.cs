using TorchSharp;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// Pages in weights that are mappings of a model file, so every page is resident (from the page
/// cache, or from disk on a host whose cache is cold) before the first job touches it, without
/// copying the weights anywhere. One madvise(MADV_POPULATE_READ) per tensor maps its pages in a
/// single call: on these VMs a first touch costs 14-20 us per 4 KiB page, so touching a 4 GiB
/// model page by page takes seconds where the madvise takes tens of milliseconds. Kernels older
/// than 5.14 lack it; then one element per page is read.
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
        var populate = true;
        foreach (var tensor in tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var length = tensor.numel() * MappedSafetensors.ItemSize(tensor.dtype);
            if (length == 0)
            {
                continue;
            }

            populate = populate && Populate(tensor, length);
            if (!populate)
            {
                TouchEveryPage(tensor);
            }

            bytes += length;
        }

        return bytes;
    }

    private static unsafe bool Populate(torch.Tensor tensor, long length)
    {
        fixed (byte* data = tensor.bytes)
        {
            var start = (long)data & ~(PageBytes - 1);
            var end = ((long)data + length + PageBytes - 1) & ~(PageBytes - 1);
            return PopulateRead.TryRange((nint)start, (nuint)(end - start));
        }
    }

    // A strided view over the tensor's memory: one element per page, summed so it is read.
    private static void TouchEveryPage(torch.Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        var count = tensor.numel();
        tensor.view(-1).slice(0, 0, count, Math.Max(1, PageBytes / MappedSafetensors.ItemSize(tensor.dtype))).to_type(torch.float64).sum();
    }
}
