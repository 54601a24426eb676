namespace ComfySnap.Engine.Catalog;

/// <summary>
/// Input-folder file inputs (LoadImage's image, ...) may name a URL instead of a file: the worker
/// fetches it before validation (its own checks: size, magic bytes, the network guard). Validation
/// here, in the worker and the gateway, only accepts the URL's form.
/// </summary>
public static class InputUrls
{
    /// <summary>The schemes accepted as input URLs (each served by a worker URL input source; s3: the worker's object store).</summary>
    public static IReadOnlySet<string> Schemes { get; } = new HashSet<string>(["http", "https", "s3"], StringComparer.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="value"/> is an absolute URL of an accepted scheme with a host.</summary>
    public static bool TryParse(string value, out Uri url)
    {
        url = null!;
        if (!value.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(value, UriKind.Absolute, out var parsed)
            || !Schemes.Contains(parsed.Scheme) || string.IsNullOrEmpty(parsed.Host))
        {
            return false;
        }

        url = parsed;
        return true;
    }
}
