namespace ComfySnap.Snapshots;

/// <summary>Where CRIU is and how it is called. Bound from the "Criu" configuration section.</summary>
public sealed class CriuOptions
{
    public const string SectionName = "Criu";

    /// <summary>The criu binary; the bootstrap's patched 4.2.x by default (COMFYSNAP_CRIU).</summary>
    public string Path { get; set; } = Environment.GetEnvironmentVariable("COMFYSNAP_CRIU") ?? "criu";

    /// <summary>How long a dump or restore may take before it is treated as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// criu's kernel-feature cache; kept valid before the first restore (see <see cref="CriuKerndatCache"/>).
    /// Empty: not managed (criu probes the kernel on every restore unless /run is a tmpfs).
    /// </summary>
    public string? KerndatCacheFile { get; set; } = CriuKerndatCache.DefaultFile;
}
