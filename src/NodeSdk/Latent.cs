using TorchSharp;

namespace ComfySnap.NodeSdk;

/// <summary>
/// ComfyUI's LATENT: a dict holding "samples" [B,4,H/8,W/8] and, after SetLatentNoiseMask or
/// VAEEncodeForInpaint, a "noise_mask" [B or 1,1,H,W] in 0..1 (1 = resample, 0 = keep).
/// </summary>
public sealed record Latent(torch.Tensor Samples, torch.Tensor? NoiseMask = null) : ITensorHolder
{
    public IEnumerable<torch.Tensor> Tensors => NoiseMask is null ? [Samples] : [Samples, NoiseMask];

    public ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map) =>
        new Latent(map(Samples), NoiseMask is null ? null : map(NoiseMask));
}
