using System.Text.RegularExpressions;

namespace ComfySnap.NodeSdk;

/// <summary>
/// A model input (ckpt_name, lora_name, ...) given as a URL pinned to its content:
/// <c>https://host/path/file.safetensors#sha256=&lt;64 hex digits&gt;</c>. The worker downloads it
/// into its model cache as <c>&lt;sha256&gt;&lt;extension&gt;</c> and uses it only when the hash matches.
/// A model is code-like input, so a URL without its hash is refused, never downloaded.
/// </summary>
/// <param name="Location">The URL to download (without the fragment).</param>
/// <param name="Sha256">The expected SHA-256 of the file, 64 lower-case hex digits.</param>
/// <param name="Extension">The file's extension from the URL path (".safetensors", ...): the loader picks the format by it.</param>
public sealed partial record ModelUrl(Uri Location, string Sha256, string Extension)
{
    /// <summary>Extensions a model file may have (what the model store lists).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".safetensors", ".sft", ".pth", ".pt", ".ckpt", ".bin"];

    /// <summary>The file's name in the model cache: content-addressed.</summary>
    public string CacheFileName => Sha256 + Extension;

    /// <summary>How logs and errors show the URL: without user info and query (a pre-signed URL's token), the hash shortened.</summary>
    public string Shown => $"{Location.Scheme}://{Location.Authority}{Location.AbsolutePath}#sha256={Sha256[..12]}...";

    /// <summary>
    /// How model keys, load events, heartbeats and routing model sets name the model: the URL without
    /// user info and query (a pre-signed URL's token must not reach fleet state or logs) but with the
    /// full hash, so it still parses and resolves to the same cached file.
    /// </summary>
    public string Identity => $"{Location.Scheme}://{Location.Authority}{Location.AbsolutePath}#sha256={Sha256}";

    /// <summary>A model name as keys and events carry it: a pinned URL by <see cref="Identity"/>, anything else as it is.</summary>
    public static string IdentityName(string name) => TryParse(name, out _) is { } url ? url.Identity : name;

    /// <summary>A model name as logs show it: a pinned URL by <see cref="Shown"/>, anything else as it is.</summary>
    public static string ShownName(string name) => TryParse(name, out _) is { } url ? url.Shown : name;

    /// <summary>True when <paramref name="value"/> is meant as a URL (http or https with "://"), pinned or not.</summary>
    public static bool LooksLikeUrl(string value) =>
        value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The pinned model URL, or null with the reason when <paramref name="value"/> is not one.</summary>
    public static ModelUrl? TryParse(string value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(value);
        error = null;
        if (!LooksLikeUrl(value) || !Uri.TryCreate(value, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
        {
            error = "is not an absolute http(s) URL with a host";
            return null;
        }

        var pin = PinnedFragment().Match(parsed.Fragment);
        if (!pin.Success)
        {
            error = "has no '#sha256=<64 hex digits>' fragment: a model URL must be pinned to its content";
            return null;
        }

        var extension = Path.GetExtension(parsed.AbsolutePath).ToLowerInvariant();
        if (!Extensions.Contains(extension, StringComparer.Ordinal))
        {
            error = $"names no model file: its path must end in one of {string.Join(", ", Extensions)}";
            return null;
        }

        var location = new UriBuilder(parsed) { Fragment = "" }.Uri;
        return new ModelUrl(location, pin.Groups[1].Value.ToLowerInvariant(), extension);
    }

    [GeneratedRegex("^#sha256=([0-9a-fA-F]{64})$")]
    private static partial Regex PinnedFragment();
}
