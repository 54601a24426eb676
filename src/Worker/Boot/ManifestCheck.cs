using ComfySnap.Diffusion.Models;
using ComfySnap.Snapshots;

namespace ComfySnap.Worker.Boot;

/// <summary>Compares a snapshot manifest with the live host and files; the first mismatch wins.</summary>
public static class ManifestCheck
{
    /// <summary>Host, criu, worker build, node packs and models: the cheap checks, made before restoring.</summary>
    public static FallbackReason? Compare(SnapshotManifest manifest, string criuVersion, string workerDirectory)
    {
        var host = HostFacts.Read();
        if (manifest.CriuVersion != criuVersion)
        {
            return new(FallbackKind.HostMismatch, $"snapshot made with criu {manifest.CriuVersion}, this host has {criuVersion}");
        }

        if (manifest.Host.Kernel != host.Kernel)
        {
            return new(FallbackKind.HostMismatch, $"snapshot made on kernel {manifest.Host.Kernel}, this host runs {host.Kernel}");
        }

        var missingFlags = manifest.Host.CpuFlags.Except(host.CpuFlags).ToList();
        if (missingFlags.Count > 0)
        {
            return new(FallbackKind.HostMismatch, $"this CPU lacks flags the snapshot's CPU had: {string.Join(' ', missingFlags.Take(8))}");
        }

        if (Differs(manifest.WorkerFiles, WorkerFingerprint.Of(workerDirectory)) is { } worker)
        {
            return new(FallbackKind.WorkerChanged, $"worker build differs from the snapshot's: {worker}");
        }

        if (Differs(manifest.NodePackFiles, FileDigest.OfFolder(manifest.NodePackDirectory, "*.dll")) is { } pack)
        {
            return new(FallbackKind.NodePacksChanged, $"node packs differ from the snapshot's: {pack}");
        }

        foreach (var (path, hash) in manifest.ModelFiles)
        {
            var now = File.Exists(path) ? FileDigest.IdentityOf(path) : "missing";
            if (now != hash)
            {
                return new(FallbackKind.ModelChanged, $"model file {path} changed since the snapshot ({(now == "missing" ? "missing" : "different content")})");
            }
        }

        return null;
    }

    /// <summary>
    /// The snapshot's UNets were loaded in one dtype and stay so after a restore: a worker configured
    /// with another Models:UnetDtype must cold-boot rather than serve the other precision's pixels.
    /// </summary>
    public static FallbackReason? CompareUnetDtype(string? snapshotDtype, string configuredDtype)
    {
        var snapshot = snapshotDtype ?? UnetDtype.Fp32;
        var configured = UnetDtype.NameOf(UnetDtype.Parse(configuredDtype));
        return snapshot == configured ? null
            : new(FallbackKind.ModelChanged, $"the snapshot's checkpoints compute in {snapshot}, this worker is configured with Models:UnetDtype={configured}");
    }

    /// <summary>Every image file against its checksum: reads the whole image, so it runs beside the restore.</summary>
    public static FallbackReason? CompareImages(SnapshotManifest manifest, string snapshotDirectory) =>
        Differs(manifest.ImageFiles, FileDigest.OfFolder(Path.Combine(snapshotDirectory, SnapshotManifest.ImagesFolder), "*.img")) is { } image
            ? new(FallbackKind.ImageCorrupt, $"snapshot image damaged: {image}")
            : null;

    /// <summary>Every image file against the SHA-256 a signed manifest vouches for.</summary>
    public static FallbackReason? CompareImageSha256(SnapshotManifest manifest, string snapshotDirectory) =>
        Differs(manifest.ImageSha256 ?? [], ImageSha256.OfFolder(Path.Combine(snapshotDirectory, SnapshotManifest.ImagesFolder), CancellationToken.None)) is { } image
            ? new(FallbackKind.ImageCorrupt, $"snapshot image does not match its signed manifest: {image}")
            : null;

    private static string? Differs(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual)
    {
        foreach (var (name, hash) in expected)
        {
            if (!actual.TryGetValue(name, out var now))
            {
                return $"{name} is missing";
            }

            if (now != hash)
            {
                return $"{name} has changed";
            }
        }

        var added = actual.Keys.Except(expected.Keys).FirstOrDefault();
        return added is null ? null : $"{added} was added";
    }
}
