using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>Batch-size helpers shared by guidance and masks.</summary>
public static class Batches
{
    /// <summary>comfy/utils.py repeat_to_batch_size: cut to, or tile up to, <paramref name="batch"/> items.</summary>
    public static Tensor RepeatTo(Tensor t, long batch) =>
        t.shape[0] == batch ? t
        : t.shape[0] > batch ? t.narrow(0, 0, batch)
        : t.repeat([(batch + t.shape[0] - 1) / t.shape[0], .. Enumerable.Repeat(1L, (int)t.ndim - 1)]).narrow(0, 0, batch);
}
