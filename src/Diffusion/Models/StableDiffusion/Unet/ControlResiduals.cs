using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// What ControlNets add to a UNet pass (ComfyUI's control dict): one residual per input block, in
/// input-block order, each added to the skip connection an output block takes from that input
/// block, and one added to the middle block's output. Owns its tensors.
/// </summary>
public sealed class ControlResiduals(IReadOnlyList<Tensor> skips, Tensor middle) : IDisposable
{
    /// <summary>Residuals for the skip connections, in input-block order.</summary>
    public IReadOnlyList<Tensor> Skips { get; } = skips;

    public Tensor Middle { get; } = middle;

    /// <summary>Adds the middle residual to the middle block's output, in place.</summary>
    public void AddToMiddle(Tensor h) => AddTo(h, Middle, "the middle block");

    /// <summary>Adds the residual of input block <paramref name="index"/> to its skip connection, in place.</summary>
    public void AddToSkip(Tensor skip, int index)
    {
        if (index >= Skips.Count)
        {
            throw new InvalidOperationException($"the ControlNet gives {Skips.Count} skip residuals, the UNet has more input blocks: is the ControlNet for this model?");
        }

        AddTo(skip, Skips[index], $"input block {index}");
    }

    public void Dispose()
    {
        foreach (var skip in Skips)
        {
            skip.Dispose();
        }

        Middle.Dispose();
    }

    // ComfyUI only warns and skips a residual that does not fit; here a ControlNet for another
    // architecture fails the job instead of silently doing nothing.
    private static void AddTo(Tensor h, Tensor residual, string where)
    {
        if (residual.shape[1] != h.shape[1] || residual.shape[2] != h.shape[2] || residual.shape[3] != h.shape[3])
        {
            throw new InvalidOperationException(
                $"the ControlNet's residual [{string.Join(',', residual.shape)}] does not fit the UNet's [{string.Join(',', h.shape)}] at {where}: is the ControlNet for this model?");
        }

        h.add_(residual);
    }
}
