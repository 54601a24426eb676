namespace ComfySnap.Diffusion.Models;

/// <summary>Models given as pinned URLs (<see cref="NodeSdk.ModelUrl"/>): the download cache and its limits. Bound from "Models:Download".</summary>
public sealed class ModelDownloadOptions
{
    /// <summary>The content-addressed cache (&lt;sha256&gt;&lt;ext&gt;), shared by the workers of a host. Empty: Models:BaseDirectory/.url-cache.</summary>
    public string CacheDirectory { get; set; } = "";

    /// <summary>Bytes the cache may hold; past it the least recently used files no process has loaded are removed before a download is kept. 0: no cap.</summary>
    public long MaxCacheBytes { get; set; } = 50L * 1024 * 1024 * 1024;

    /// <summary>Largest file one URL may deliver; a larger one fails the job.</summary>
    public long MaxBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>How long one download (connect, redirects, body) may take.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Download from loopback, link-local and private addresses too (off: public addresses only).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>CIDR ranges allowed although not public (e.g. an internal model mirror).</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>The cache folder, absolute.</summary>
    public string ResolvedCacheDirectory(string baseDirectory) =>
        Path.GetFullPath(CacheDirectory is { Length: > 0 } dir ? dir : Path.Combine(baseDirectory, ".url-cache"));
}
