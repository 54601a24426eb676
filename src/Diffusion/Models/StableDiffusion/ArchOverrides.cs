using System.Text.Json;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// Head counts, which tensor shapes cannot give. From a side-file next to the checkpoint
/// (<c>NAME.arch.json</c>, else <c>NAME.safetensors.arch.json</c>), else the safetensors header
/// metadata key <c>sdref.arch</c>, else SD 1.x defaults. Format:
/// <c>{"unet":{"num_heads":8} or {"num_head_channels":64},"clip":{"num_heads":12}}</c>; SDXL files
/// name their two text encoders <c>"clip_l"</c> and <c>"clip_g"</c> instead of <c>"clip"</c>.
/// </summary>
public sealed record ArchOverrides(int? UnetNumHeads, long? UnetNumHeadChannels, int? ClipNumHeads, string Source)
{
    /// <summary>SDXL's CLIP-L head count, when given.</summary>
    public int? ClipLNumHeads { get; init; }

    /// <summary>SDXL's OpenCLIP-G head count, when given.</summary>
    public int? ClipGNumHeads { get; init; }

    public const string MetadataKey = "sdref.arch";

    public static readonly ArchOverrides Defaults = new(null, null, null, "SD 1.x defaults");

    public static ArchOverrides Resolve(string checkpointPath, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var candidate in SideFiles(checkpointPath))
        {
            if (File.Exists(candidate))
            {
                return Parse(File.ReadAllText(candidate), "side-file " + Path.GetFileName(candidate));
            }
        }

        return metadata.TryGetValue(MetadataKey, out var json) ? Parse(json, "header metadata") : Defaults;
    }

    public static IEnumerable<string> SideFiles(string checkpointPath)
    {
        const string extension = ".safetensors";
        if (checkpointPath.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
        {
            yield return checkpointPath[..^extension.Length] + ".arch.json";
        }

        yield return checkpointPath + ".arch.json";
    }

    public static ArchOverrides Parse(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var unet = Section(root, "unet");
            var clip = Section(root, "clip");
            var headChannels = Number(unet, "num_head_channels");
            return new ArchOverrides(
                (int?)Number(unet, "num_heads"),
                headChannels is > 0 ? headChannels : null,
                (int?)Number(clip, "num_heads"),
                source)
            {
                ClipLNumHeads = (int?)Number(Section(root, "clip_l"), "num_heads"),
                ClipGNumHeads = (int?)Number(Section(root, "clip_g"), "num_heads"),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"architecture {source} is not valid: {e.Message}", e);
        }
    }

    private static JsonElement? Section(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static long? Number(JsonElement? section, string name)
    {
        if (section is not { } s || !s.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var n = v.GetInt64();
        return n is 0 ? throw new FormatException($"{name} must be positive") : n;
    }
}
