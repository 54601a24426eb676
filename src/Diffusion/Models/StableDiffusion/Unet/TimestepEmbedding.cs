using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>CompVis util.timestep_embedding: [cos | sin] of t times geometric frequencies (max period 10000).</summary>
public static class TimestepEmbedding
{
    public static Tensor Sinusoidal(Tensor timesteps, long dim)
    {
        using var scope = NewDisposeScope();
        var half = dim / 2;
        var freqs = arange(0, half, 1, ScalarType.Float32).mul_(-Math.Log(10000.0)).div_(half).exp_();
        var args = timesteps.to_type(ScalarType.Float32).unsqueeze(1).mul(freqs.unsqueeze(0));
        var embedding = cat([args.cos(), args.sin()], -1);
        if (dim % 2 == 1)
        {
            embedding = cat([embedding, zeros_like(embedding[.., ..1])], -1);
        }

        return embedding.MoveToOuterDisposeScope();
    }
}
