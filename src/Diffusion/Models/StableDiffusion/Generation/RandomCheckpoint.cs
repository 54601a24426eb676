using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ComfySnap.Diffusion.Models.StableDiffusion.Clip;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using TorchSharp;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>What was written: the file, its tensors and a hash of their data that ignores the header's layout.</summary>
public sealed record GeneratedCheckpoint(string Path, string Preset, string DType, long Seed, int Tensors, long Bytes, long Parameters, string TensorDataSha256, string? SideFile);

/// <summary>
/// Writes a random-weight SD 1.x checkpoint in the original single-file layout, deterministically
/// from a seed: the model definitions list every tensor they need (<see cref="ShapeRecorder"/>),
/// then each is drawn in key order from one seeded CPU generator as float32 and scaled by what it
/// is for. The rules are those of the reference's make_checkpoint.py, so the same preset and seed
/// give the same tensor bytes as the reference (torch's CPU normal generator is the same). The
/// images such a checkpoint renders are noise: it exists to run and measure the pipeline.
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>Last layers of residual branches start at half gain, as the reference does.</summary>
    private static readonly string[] ResidualOutputs =
    [
        "out_layers.3.", "proj_out.", "attn1.to_out.0.", "attn2.to_out.0.", "ff.net.2.",
        ".conv2.", "attn_1.proj_out.",
        "self_attn.out_proj.", "mlp.fc2.",
        "attn.out_proj.", "mlp.c_proj.",
    ];

    public static IReadOnlyList<WeightRequest> Layout(CheckpointPreset preset)
    {
        using var recorder = new ShapeRecorder();
        _ = new UnetModel(recorder.Root(UnetPrefix), preset.Unet);
        _ = new AutoencoderKl(recorder.Root(VaePrefix), preset.Vae);
        _ = new ClipTextModel(recorder.Root(ClipPrefix), preset.Clip);
        return [.. recorder.Requests.OrderBy(r => r.Key, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Writes the checkpoint. <paramref name="constants"/> are extra tensors stored as given, not
    /// drawn (e.g. the logit_scale real OpenCLIP files carry), so the drawn tensors stay the reference's.
    /// </summary>
    public static GeneratedCheckpoint Write(IRandomCheckpointPreset preset, string path, string? dtype = null, long seed = 0, bool sideFile = false,
        IReadOnlyDictionary<string, torch.Tensor>? constants = null)
    {
        constants ??= new Dictionary<string, torch.Tensor>();
        dtype ??= preset.DefaultDType;
        var storage = dtype switch
        {
            "fp32" => torch.float32,
            "fp16" => torch.float16,
            "bf16" => torch.bfloat16,
            _ => throw new ArgumentException($"dtype must be fp32, fp16 or bf16, not '{dtype}'", nameof(dtype)),
        };
        var layout = preset.Layout();
        var byKey = layout.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var arch = ArchJson(preset);
        var metadata = new Dictionary<string, string> { [ArchOverrides.MetadataKey] = MetadataJson(preset, dtype, seed) };

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        using var generator = new torch.Generator(unchecked((ulong)seed));
        using var dataHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var entries = layout.Select(r => new SafetensorsWriter.Entry(r.Key, storage, r.Shape))
            .Concat(constants.Select(c => new SafetensorsWriter.Entry(c.Key, c.Value.dtype, c.Value.shape)))
            .ToList();
        SafetensorsWriter.Save(path, entries, key =>
        {
            // Keys are produced in sorted order, so the generator's draws follow the reference's.
            var tensor = constants.TryGetValue(key, out var constant) ? constant.clone() : Draw(byKey[key], generator).to_type(storage);
            dataHash.AppendData(Encoding.UTF8.GetBytes(key));
            using (var contiguous = tensor.contiguous())
            {
                dataHash.AppendData(contiguous.bytes);
            }

            return tensor;
        }, disposeProduced: true, metadata);

        string? side = null;
        if (sideFile)
        {
            side = ArchOverrides.SideFiles(path).First();
            File.WriteAllText(side, arch);
        }

        return new GeneratedCheckpoint(path, preset.Name, dtype, seed, layout.Count, new FileInfo(path).Length,
            layout.Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b)), Convert.ToHexString(dataHash.GetHashAndReset()).ToLowerInvariant(), side);
    }

    /// <summary>The head counts shapes cannot carry, in the side-file format ({"clip":{...},"unet":{...}}, keys sorted).</summary>
    public static string ArchJson(IRandomCheckpointPreset preset) => JsonSerializer.Serialize(preset.ArchSections());

    /// <summary>The header's arch entry: head counts plus how the file was generated.</summary>
    private static string MetadataJson(IRandomCheckpointPreset preset, string dtype, long seed)
    {
        var sections = preset.ArchSections();
        sections["generator"] = new { dtype, extras = false, preset = preset.Name, seed };
        return JsonSerializer.Serialize(sections);
    }

    private static torch.Tensor Draw(WeightRequest request, torch.Generator generator)
    {
        using var r = torch.randn(request.Shape, torch.float32, generator: generator);
        return request.Role switch
        {
            WeightRole.Weight => r * (Gain(request.Key) / Math.Sqrt(request.FanIn)),
            WeightRole.Bias => r * 0.05,
            WeightRole.NormWeight => (r * 0.1).add_(1.0),
            WeightRole.NormBias => r * 0.05,
            WeightRole.TokenEmbedding => r * 0.5,
            WeightRole.PositionEmbedding => r * 0.2,
            _ => throw new InvalidOperationException($"no initialisation for {request.Role}"),
        };
    }

    private static double Gain(string key) =>
        key == VaePrefix + "decoder.conv_in.weight" ? 0.05   // sampled latents are large
        : ResidualOutputs.Any(key.Contains) ? 0.5
        : 1.0;
}
