using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComfySnap.Snapshots;

/// <summary>
/// Everything a worker needs to decide whether a snapshot can be restored here, and how:
/// host facts, hashes of what was loaded, image checksums and the stdio keys for --inherit-fd.
/// </summary>
public sealed record SnapshotManifest
{
    public const string FileName = "manifest.json";
    public const string ImagesFolder = "images";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public required string SnapshotId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string CriuVersion { get; init; }

    public required HostFacts Host { get; init; }

    /// <summary>Worker assemblies (relative to the worker folder) -> hash.</summary>
    public required SortedDictionary<string, string> WorkerFiles { get; init; }

    public required string WorkerDirectory { get; init; }

    public required SortedDictionary<string, string> NodePackFiles { get; init; }

    public required string NodePackDirectory { get; init; }

    /// <summary>
    /// The dtype the prepared worker's UNets compute in (its Models:UnetDtype, lower case); null in
    /// manifests written before the setting existed, which were all fp32.
    /// </summary>
    public string? UnetDtype { get; init; }

    /// <summary>Model files (absolute path) -> hash.</summary>
    public required SortedDictionary<string, string> ModelFiles { get; init; }

    public required IReadOnlyList<PreparePhase> PreparePhases { get; init; }

    public required long ImageBytes { get; init; }

    public required SortedDictionary<string, string> ImageFiles { get; init; }

    /// <summary>Image file -> SHA-256, written only in signed snapshots (see <see cref="ManifestSignature"/>).</summary>
    public SortedDictionary<string, string>? ImageSha256 { get; init; }

    /// <summary>fd number -> key of the file it was at dump ("pipe:[N]"), for --inherit-fd.</summary>
    public required IReadOnlyDictionary<int, string> StdioKeys { get; init; }

    public async Task WriteAsync(string directory, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(Path.Combine(directory, FileName));
        await JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parses manifest bytes already read (and, for a signed snapshot, verified).</summary>
    public static SnapshotManifest Parse(ReadOnlySpan<byte> bytes) =>
        JsonSerializer.Deserialize<SnapshotManifest>(bytes, Json) ?? throw new InvalidDataException("empty manifest");

    public static async Task<SnapshotManifest> ReadAsync(string directory, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(Path.Combine(directory, FileName));
        return await JsonSerializer.DeserializeAsync<SnapshotManifest>(stream, Json, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException("empty manifest");
    }
}

/// <summary>A phase of the prepared worker's boot, as it reported it.</summary>
public sealed record PreparePhase(string Name, double Milliseconds, string? Detail);
