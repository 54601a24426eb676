using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Snapshots;

/// <summary>Runs `criu dump` and `criu restore` with the options this host needs (see HOST.md).</summary>
public sealed class CriuRunner(IOptions<CriuOptions> options, ILogger<CriuRunner> logger)
{
    private readonly CriuOptions _options = options.Value;

    // Known after the first successful `criu --version`: every restore, standby park and switch
    // compares it, and the binary does not change under a running process.
    private string? _version;

    /// <summary>
    /// Makes sure criu's kernel-feature cache is valid (a stat and a 1 KB hash when it is; one
    /// `criu check` when not). A failure only costs the probe criu makes anyway, so it never throws.
    /// </summary>
    public async Task<string> EnsureKerndatCacheAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_options.KerndatCacheFile))
        {
            return "off";
        }

        // Not serialised: two restores racing here at most both probe; the file is renamed into place.
        try
        {
            var outcome = await new CriuKerndatCache(_options.Path, _options.KerndatCacheFile, logger).EnsureAsync(cancellationToken).ConfigureAwait(false);
            logger.LogDebug("criu kerndat cache: {KerndatCache}", outcome);
            return outcome;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or CriuException)
        {
            logger.LogWarning("criu's kerndat cache not kept: {Reason}", e.Message);
            return "not kept: " + e.Message;
        }
    }

    /// <summary>criu's own version line, e.g. "4.2.1".</summary>
    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        if (_version is { } known)
        {
            return known;
        }

        var (code, output) = await RunAsync(["--version"], null, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new CriuException($"`{_options.Path} --version` failed with exit code {code}", output);
        }

        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("Version:", StringComparison.Ordinal));
        return _version = line?["Version:".Length..].Trim() ?? output.Trim();
    }

    /// <summary>
    /// Checkpoints the process tree rooted at <paramref name="hostPid"/> (a PID namespace's init)
    /// into <paramref name="imageDir"/>; the tree is killed afterwards.
    /// </summary>
    public async Task DumpAsync(int hostPid, string imageDir, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(imageDir);
        var log = "dump.log";
        string[] args =
        [
            "dump", "-t", hostPid.ToString(CultureInfo.InvariantCulture), "-D", imageDir, "-o", log,
            "-v2", "--cpu-cap=ins", "--tcp-close", "--file-locks",
        ];
        var (code, _) = await RunAsync(args, null, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new CriuException($"criu dump of pid {hostPid} failed (exit code {code})", Tail(Path.Combine(imageDir, log)));
        }

        logger.LogInformation("criu dumped pid {HostPid} into {ImageDir}", hostPid, imageDir);
    }

    /// <summary>
    /// Restores an image detached, in a fresh PID namespace. The restored files named by the
    /// stdio's inherit keys (e.g. "pipe:[123]") become criu's own fds of the same number, so
    /// what criu gets as stdin/stdout/stderr is what the restored process gets.
    /// </summary>
    public async Task<RestoredProcess> RestoreAsync(
        string imageDir,
        string workDir,
        RestoreStdio stdio,
        CancellationToken cancellationToken,
        LazyPagesDaemon? lazyPages = null,
        bool leaveStopped = false)
    {
        Directory.CreateDirectory(workDir);
        await EnsureKerndatCacheAsync(cancellationToken).ConfigureAwait(false);
        if (lazyPages is not null)
        {
            await lazyPages.WaitUntilListeningAsync(cancellationToken).ConfigureAwait(false);
        }

        var pidFile = Path.GetFullPath(Path.Combine(workDir, "restored.pid"));
        File.Delete(pidFile);
        var args = new List<string>
        {
            "restore", "-D", imageDir, "-W", workDir, "-o", Path.GetFullPath(Path.Combine(workDir, "restore.log")),
            "-v2", "-d", "--pidfile", pidFile, "--cpu-cap=ins", "--tcp-close", "--file-locks",
        };
        if (lazyPages is not null)
        {
            args.Add("--lazy-pages");
        }

        if (leaveStopped)
        {
            args.Add("--leave-stopped");
        }

        foreach (var (fd, key) in stdio.InheritKeys)
        {
            args.Add("--inherit-fd");
            args.Add($"fd[{fd}]:{key}");
        }

        var info = new ProcessStartInfo(_options.Path)
        {
            UseShellExecute = false,
            RedirectStandardInput = stdio.RedirectStandardInput,
            RedirectStandardOutput = stdio.RedirectStandardOutput,
            RedirectStandardError = stdio.RedirectStandardError,
        };
        args.ForEach(info.ArgumentList.Add);
        var stopwatch = Stopwatch.StartNew();
        var criu = Start(info);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            await criu.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            criu.Kill(entireProcessTree: true);
            criu.Dispose();
            throw new CriuException($"criu restore did not finish within {_options.Timeout.TotalSeconds:0} s", Tail(Path.Combine(workDir, "restore.log")));
        }

        if (criu.ExitCode != 0 || !File.Exists(pidFile))
        {
            var code = criu.ExitCode;
            criu.Dispose();
            throw new CriuException($"criu restore from {imageDir} failed (exit code {code})", Tail(Path.Combine(workDir, "restore.log")));
        }

        lazyPages?.HandedOver();
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile, cancellationToken).ConfigureAwait(false)).Trim(), CultureInfo.InvariantCulture);
        logger.LogInformation("criu restored {ImageDir} as pid {HostPid} in {ElapsedMs} ms", imageDir, pid, stopwatch.ElapsedMilliseconds);
        return new RestoredProcess(pid, criu);
    }

    /// <summary>
    /// Starts criu's lazy-pages daemon for a restore of <paramref name="imageDir"/> into
    /// <paramref name="workDir"/> (pass it to <see cref="RestoreAsync"/>). Started early, its own
    /// start-up (reading the page maps) overlaps the caller's checks.
    /// </summary>
    public LazyPagesDaemon StartLazyPages(string imageDir, string workDir)
    {
        Directory.CreateDirectory(workDir);
        var info = new ProcessStartInfo(_options.Path) { UseShellExecute = false };
        foreach (var a in new[] { "lazy-pages", "-D", imageDir, "-W", workDir, "-o", Path.GetFullPath(Path.Combine(workDir, "lazy-pages.log")), "-v2" })
        {
            info.ArgumentList.Add(a);
        }

        var daemon = Start(info);
        return new LazyPagesDaemon(daemon, Path.Combine(workDir, "lazy-pages.socket"));
    }

    private async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, string? workingDirectory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(_options.Path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Start(info);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new CriuException($"criu {string.Join(' ', args)} did not finish within {_options.Timeout.TotalSeconds:0} s");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static string? Tail(string path, int lines = 15)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var all = File.ReadAllLines(path);
        return string.Join('\n', all.Where(l => l.Contains("Error", StringComparison.Ordinal) || l.Contains("Warn", StringComparison.Ordinal)).TakeLast(lines)
            .DefaultIfEmpty(string.Join('\n', all.TakeLast(lines))));
    }

    private Process Start(ProcessStartInfo info)
    {
        try
        {
            return Process.Start(info) ?? throw new CriuException($"could not start {_options.Path}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // A missing or unrunnable binary is a criu failure like any other: callers fall back, they do not crash.
            throw new CriuException($"cannot run criu at '{_options.Path}': {e.Message} (set Criu:Path or COMFYSNAP_CRIU)");
        }
    }
}
