using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Clip;

/// <summary>
/// Sizes of an OpenCLIP text tower (open_clip TextTransformer, SDXL's CLIP-G ViT-bigG-14), read
/// from the checkpoint's shapes; the head count, which shapes cannot give, from the arch overrides
/// (default width/64, bigG's 20 heads of 64).
/// </summary>
public sealed record OpenClipTextConfig(long VocabSize, long Width, long Positions, int Layers, long MlpWidth, int Heads, long ProjectionDim)
{
    public static OpenClipTextConfig Infer(IReadOnlyDictionary<string, long[]> shapes, string prefix, ArchOverrides overrides)
    {
        var tokens = Shape(shapes, prefix + "token_embedding.weight", "OpenCLIP token embedding");
        var positions = Shape(shapes, prefix + "positional_embedding", "OpenCLIP positional embedding")[0];
        var layers = Indices(shapes, prefix, @"transformer\.resblocks\.(\d+)\.").Count;
        var mlp = Shape(shapes, prefix + "transformer.resblocks.0.mlp.c_fc.weight", "OpenCLIP MLP")[0];
        var projection = Shape(shapes, prefix + "text_projection", "OpenCLIP text projection");
        var width = tokens[1];
        var heads = overrides.ClipGNumHeads ?? (int)Math.Max(1, width / 64);
        if (width % heads != 0)
        {
            throw new InvalidDataException($"OpenCLIP width {width} is not divisible by {heads} heads ({overrides.Source})");
        }

        // ComfyUI holds the projection as a Linear(width, width): only square ones load there.
        if (projection[0] != width || projection[1] != width)
        {
            throw new InvalidDataException($"OpenCLIP text_projection is [{string.Join(',', projection)}], ComfyUI needs [{width},{width}]");
        }

        return new OpenClipTextConfig(tokens[0], width, positions, layers, mlp, heads, projection[1]);
    }

    public override string ToString() => $"OpenCLIP(width {Width}, {Layers} layers, {Heads} heads, mlp {MlpWidth}, projection {ProjectionDim})";
}
