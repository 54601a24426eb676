using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Vae;

/// <summary>Sizes of the KL autoencoder (CompVis Encoder/Decoder), read from the checkpoint's shapes.</summary>
public sealed record VaeConfig(long Channels, IReadOnlyList<long> ChannelMult, int NumResBlocks, long InChannels, long OutChannels, long ZChannels, long EmbedDim)
{
    /// <summary>Pixels per latent cell along each side (8 for SD 1.x).</summary>
    public int DownscaleRatio => 1 << (ChannelMult.Count - 1);

    /// <summary>Infers the sizes from tensors named <paramref name="prefix"/> + encoder./decoder./quant_conv...</summary>
    public static VaeConfig Infer(IReadOnlyDictionary<string, long[]> shapes, string prefix)
    {
        var convIn = Shape(shapes, prefix + "encoder.conv_in.weight", "VAE encoder input");
        var ch = convIn[0];
        var levels = Indices(shapes, prefix + "encoder.", @"down\.(\d+)\.");
        if (levels.Count == 0)
        {
            throw new InvalidDataException($"not an SD 1.x VAE: no '{prefix}encoder.down.N' blocks");
        }

        var mults = levels.Select(i => Shape(shapes, $"{prefix}encoder.down.{i}.block.0.conv1.weight", "VAE res block")[0] / ch).ToList();
        var resBlocks = Indices(shapes, prefix + "encoder.down.0.", @"block\.(\d+)\.").Count;
        if (Indices(shapes, prefix + "encoder.", @"down\.\d+\.attn\.(\d+)\.").Count > 0)
        {
            throw new InvalidDataException("VAE with attention inside its levels is not SD 1.x (not supported)");
        }

        var z = Shape(shapes, prefix + "decoder.conv_in.weight", "VAE decoder input")[1];
        var embed = Shape(shapes, prefix + "post_quant_conv.weight", "VAE post-quant convolution")[1];
        var outCh = Shape(shapes, prefix + "decoder.conv_out.weight", "VAE decoder output")[0];
        return new VaeConfig(ch, mults, resBlocks, convIn[1], outCh, z, embed);
    }

    public override string ToString() => $"VAE(ch {Channels}, mult {string.Join(',', ChannelMult)}, {NumResBlocks} res blocks, z {ZChannels})";
}
