using TorchSharp;

namespace ComfySnap.NodeSdk;

/// <summary>ComfyUI's LATENT: a dict holding "samples" [B,4,H/8,W/8].</summary>
public sealed record Latent(torch.Tensor Samples);
