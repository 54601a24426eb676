using System.Text.RegularExpressions;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using TorchSharp;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>ControlNet files in the layouts published files use, rewritten from a generated controlnet-tiny file.</summary>
public static partial class ControlNetFiles
{
    private static readonly (string Original, string Diffusers)[] ResNet =
    [
        ("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("emb_layers.1", "time_emb_proj"),
        ("out_layers.0", "norm2"), ("out_layers.3", "conv2"), ("skip_connection", "conv_shortcut"),
    ];

    /// <summary>The tiny preset (seed <paramref name="seed"/>) at <paramref name="path"/>, control_model.* keys.</summary>
    public static string Tiny(string path, long seed = 0, string dtype = "fp32")
    {
        RandomControlNet.Write(ControlNetPreset.Tiny, path, dtype, seed);
        return path;
    }

    /// <summary>The same tensors with their keys renamed (and the header's head counts kept).</summary>
    public static void Rewrite(string source, string target, Func<string, string?> rename, IReadOnlyDictionary<string, long[]>? extra = null)
    {
        var tensors = MappedSafetensors.Read(source);
        var renamed = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in tensors)
        {
            if (rename(key) is { } name)
            {
                renamed[name] = tensor;
            }
        }

        foreach (var (key, shape) in extra ?? new Dictionary<string, long[]>())
        {
            renamed[key] = torch.zeros(shape);
        }

        SafetensorsWriter.Save(target, renamed, MappedSafetensors.ReadMetadata(source));
        foreach (var tensor in tensors.Values.Concat(renamed.Values))
        {
            tensor.Dispose();
        }
    }

    /// <summary>Without the control_model. prefix.</summary>
    public static string? WithoutPrefix(string key) => key[ControlNetLayout.OriginalPrefix.Length..];

    /// <summary>
    /// diffusers' ControlNetModel names of a ControlNet with one res block per level (as the tiny
    /// preset), written out here by hand from diffusers' module names.
    /// </summary>
    public static string? Diffusers(string key)
    {
        var k = key[ControlNetLayout.OriginalPrefix.Length..];
        var dot = k.LastIndexOf('.');
        var (name, suffix) = (k[..dot], k[dot..]);
        string Resnet(string rest) => ResNet.First(r => rest == r.Original).Diffusers;
        var m = InputBlock().Match(name);
        string mapped = name switch
        {
            "time_embed.0" => "time_embedding.linear_1",
            "time_embed.2" => "time_embedding.linear_2",
            "input_blocks.0.0" => "conv_in",
            "middle_block_out.0" => "controlnet_mid_block",
            _ when name.StartsWith("zero_convs.", StringComparison.Ordinal) => $"controlnet_down_blocks.{name.Split('.')[1]}",
            _ when name.StartsWith("input_hint_block.", StringComparison.Ordinal) => int.Parse(name.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) switch
            {
                0 => "controlnet_cond_embedding.conv_in",
                14 => "controlnet_cond_embedding.conv_out",
                var i => $"controlnet_cond_embedding.blocks.{(i / 2) - 1}",
            },
            _ when name.StartsWith("middle_block.0.", StringComparison.Ordinal) => "mid_block.resnets.0." + Resnet(name["middle_block.0.".Length..]),
            _ when name.StartsWith("middle_block.2.", StringComparison.Ordinal) => "mid_block.resnets.1." + Resnet(name["middle_block.2.".Length..]),
            _ when name.StartsWith("middle_block.1.", StringComparison.Ordinal) => "mid_block.attentions.0." + name["middle_block.1.".Length..],
            // One res block per level: input block 1 + 2*level is level's res block, 2 + 2*level its downsampler.
            _ when m.Success && m.Groups[2].Value == "0" && m.Groups[3].Value == "op" => $"down_blocks.{(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 2) / 2}.downsamplers.0.conv",
            _ when m.Success && m.Groups[2].Value == "0" => $"down_blocks.{(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 1) / 2}.resnets.0.{Resnet(m.Groups[3].Value)}",
            _ when m.Success && m.Groups[2].Value == "1" => $"down_blocks.{(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 1) / 2}.attentions.0.{m.Groups[3].Value}",
            _ => throw new InvalidOperationException($"no diffusers name for {key}"),
        };
        return mapped + suffix;
    }

    [GeneratedRegex(@"^input_blocks\.(\d+)\.(\d+)\.(.+)$")]
    private static partial Regex InputBlock();
}
