using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Snapshots;

/// <summary>
/// Keeps criu's kernel-feature cache (`/run/criu.kdat`) so a restore does not re-probe the kernel
/// (about 50-75 ms of every `criu restore` on this VM kind; HOST.md).
/// </summary>
/// <remarks>
/// How criu 4.2 handles it (criu/kerndat.c): every command loads the file if its size and two magics
/// (a constant and criu's build time) match, with no check that /run is a tmpfs; it saves a fresh
/// probe by creating `criu.kdat.tmp` with O_EXCL, and only if that file is on a tmpfs (so a reboot,
/// which may change the kernel, clears it) renames it over `criu.kdat`. On a /run that is not a
/// tmpfs it unlinks `criu.kdat` instead of the temp file, so the empty temp file stays and every
/// later save fails at O_EXCL: the cache is never kept. This class probes once in a private mount
/// namespace whose /run is a tmpfs, copies the result to the real /run, removes the stale temp
/// file, and records the boot id and the criu binary beside it, because on a disk-backed /run the
/// file survives a reboot (possibly into another kernel): a stamp from another boot or criu build
/// makes it probe again.
/// </remarks>
public sealed class CriuKerndatCache(string criuPath, string cacheFile, ILogger logger)
{
    /// <summary>criu's compiled-in location for root (KDAT_RUNDIR "/criu.kdat").</summary>
    public const string DefaultFile = "/run/criu.kdat";

    private const string BootIdFile = "/proc/sys/kernel/random/boot_id";
    private const long TmpfsMagic = 0x01021994;

    public string StampFile => cacheFile + ".comfysnap";

    /// <summary>Makes sure a valid cache is in place; returns what it did ("kept", "written", "criu keeps it", or why not).</summary>
    public async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(cacheFile)!;
        if (!Directory.Exists(directory))
        {
            return $"{directory} does not exist";
        }

        if (IsTmpfs(directory))
        {
            return "criu keeps it (tmpfs)";
        }

        var stamp = Stamp();
        if (File.Exists(cacheFile) && File.Exists(StampFile)
            && await File.ReadAllTextAsync(StampFile, cancellationToken).ConfigureAwait(false) == stamp + Sha256Of(cacheFile))
        {
            return "kept";
        }

        // A cache from another boot or criu build, or criu's own leftover temp file: both go.
        File.Delete(cacheFile + ".tmp");
        File.Delete(cacheFile);
        File.Delete(StampFile);
        var probed = Path.Combine(Path.GetTempPath(), $"comfysnap-kdat-{Guid.NewGuid():N}");
        try
        {
            var (code, output) = await ProbeAsync(directory, probed, cancellationToken).ConfigureAwait(false);
            if (!File.Exists(probed))
            {
                logger.LogWarning("criu's kerndat cache could not be made (exit code {ExitCode}): {Output}", code, output.Trim());
                return $"not kept: probe failed ({code})";
            }

            // Renamed into place so a criu starting meanwhile reads either nothing or the whole file.
            var staged = cacheFile + ".comfysnap-new";
            File.Copy(probed, staged, overwrite: true);
            File.Move(staged, cacheFile, overwrite: true);
            await File.WriteAllTextAsync(StampFile, stamp + Sha256Of(cacheFile), cancellationToken).ConfigureAwait(false);
            logger.LogInformation("criu's kerndat cache written to {KerndatFile}", cacheFile);
            return "written";
        }
        finally
        {
            File.Delete(probed);
        }
    }

    /// <summary>Removes the cache (the bench's "without" variant).</summary>
    public void Remove()
    {
        File.Delete(cacheFile);
        File.Delete(StampFile);
    }

    // `criu check` runs the whole kernel probe and saves it, here onto a private tmpfs over /run.
    private async Task<(int Code, string Output)> ProbeAsync(string runDirectory, string output, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("unshare")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[]
                 {
                     "--mount", "--propagation", "private", "--", "sh", "-c",
                     "mount -t tmpfs -o size=1m,mode=755 comfysnap-kdat \"$1\" && \"$2\" check -o \"$1/check.log\" >/dev/null 2>&1; cp \"$1/$3\" \"$4\"",
                     "sh", runDirectory, criuPath, Path.GetFileName(cacheFile), output,
                 })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new CriuException("could not start unshare");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private string Stamp()
    {
        var bootId = File.Exists(BootIdFile) ? File.ReadAllText(BootIdFile).Trim() : "no-boot-id";
        var criu = new FileInfo(ResolveCriu());
        return $"boot {bootId}\ncriu {criu.FullName} {(criu.Exists ? criu.Length : -1)} {(criu.Exists ? criu.LastWriteTimeUtc.Ticks : 0)}\nkdat ";
    }

    private string ResolveCriu() =>
        Path.IsPathRooted(criuPath) || criuPath.Contains('/', StringComparison.Ordinal)
            ? Path.GetFullPath(criuPath)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, criuPath)).FirstOrDefault(File.Exists) ?? criuPath;

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static bool IsTmpfs(string directory) => StatFs.TypeOf(directory) == TmpfsMagic;
}
