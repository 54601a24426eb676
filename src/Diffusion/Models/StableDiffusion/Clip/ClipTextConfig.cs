using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Clip;

/// <summary>Sizes of the CLIP text encoder (transformers' CLIPTextModel), read from the checkpoint's shapes.</summary>
public sealed record ClipTextConfig(long VocabSize, long Hidden, long Positions, int Layers, long Intermediate, int Heads)
{
    public static ClipTextConfig Infer(IReadOnlyDictionary<string, long[]> shapes, string prefix, ArchOverrides overrides)
    {
        var tokens = Shape(shapes, prefix + "embeddings.token_embedding.weight", "CLIP token embedding");
        var positions = Shape(shapes, prefix + "embeddings.position_embedding.weight", "CLIP position embedding")[0];
        var layers = Indices(shapes, prefix, @"encoder\.layers\.(\d+)\.").Count;
        var intermediate = Shape(shapes, prefix + "encoder.layers.0.mlp.fc1.weight", "CLIP MLP")[0];
        var hidden = tokens[1];
        // SD 1.x: CLIP ViT-L/14 has 64-wide heads.
        var heads = overrides.ClipNumHeads ?? (int)Math.Max(1, hidden / 64);
        if (hidden % heads != 0)
        {
            throw new InvalidDataException($"CLIP width {hidden} is not divisible by {heads} heads ({overrides.Source})");
        }

        return new ClipTextConfig(tokens[0], hidden, positions, layers, intermediate, heads);
    }

    public override string ToString() => $"CLIP(width {Hidden}, {Layers} layers, {Heads} heads, mlp {Intermediate})";
}
