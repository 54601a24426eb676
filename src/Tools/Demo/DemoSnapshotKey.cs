using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ComfySnap.Snapshots;

namespace ComfySnap.Tools.Demo;

/// <summary>
/// The demo snapshot's cache key: the worker build (hashes of its assemblies and config), the
/// node packs folder's files and the demo models' recipe. Same key: the snapshot is reused.
/// </summary>
public static class DemoSnapshotKey
{
    /// <summary>Bump when the demo's models or assets change.</summary>
    public const string ModelsRecipe = "sd-small-fp32-seed0+rrdb-tiny+example-png/v1";

    public static string Of(string workerDirectory, string nodePacksDirectory)
    {
        var packs = Directory.Exists(nodePacksDirectory)
            ? Directory.EnumerateFiles(nodePacksDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => $"{Path.GetRelativePath(nodePacksDirectory, f)}={FileDigest.OfFile(f)}")
            : [];
        var text = JsonSerializer.Serialize(new { worker = WorkerFingerprint.Of(workerDirectory), packs, ModelsRecipe });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
