using ComfySnap.Worker.Jobs;

namespace ComfySnap.Worker.Inputs;

/// <summary>Picks the <see cref="IUrlInputSource"/> for a URL by its scheme.</summary>
public sealed class UrlInputSources(IEnumerable<IUrlInputSource> sources)
{
    private readonly Dictionary<string, IUrlInputSource> _byScheme = sources
        .SelectMany(s => s.Schemes.Select(scheme => (scheme, s)))
        .ToDictionary(p => p.scheme, p => p.s, StringComparer.OrdinalIgnoreCase);

    public Task<FetchedInput> FetchAsync(Uri url, CancellationToken cancellationToken) =>
        _byScheme.TryGetValue(url.Scheme, out var source)
            ? source.FetchAsync(url, cancellationToken)
            : throw new InputFileException($"input URL scheme '{url.Scheme}' is not supported here (supported: {string.Join(", ", _byScheme.Keys.Order(StringComparer.Ordinal))})");
}
