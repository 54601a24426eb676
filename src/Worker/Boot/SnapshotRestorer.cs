using System.Diagnostics;
using System.Text.Json;
using ComfySnap.Snapshots;
using ComfySnap.Diffusion.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Boot;

/// <summary>A restored worker that answered its handshake, or why there is none.</summary>
public sealed record RestoreOutcome(RestoredProcess? Process, ResumeReport? Report, string? SnapshotId, IReadOnlyList<BootPhase> Phases, FallbackReason? Fallback)
{
    public bool Restored => Process is not null && Fallback is null;
}

/// <summary>
/// The container-start path: check the snapshot's manifest against this host, `criu restore` it
/// into a fresh PID namespace, hand in fresh stdio and the runtime config over the control
/// channel (stdin), and wait for BOOTED. Any failure is cleaned up and returned as a fallback
/// reason; it never throws for a bad snapshot, so a broken snapshot cannot cause a crash loop.
/// </summary>
public sealed class SnapshotRestorer(CriuRunner criu, IOptions<SnapshotOptions> options, IOptions<ModelStoreOptions> models, ILogger<SnapshotRestorer> logger)
{
    private readonly SnapshotOptions _options = options.Value;

    public async Task<RestoreOutcome> RestoreAsync(ResumeConfig config, CancellationToken cancellationToken)
    {
        var (parked, failure) = await ParkAsync(cancellationToken);
        return parked is null ? failure! : await HandshakeAsync(parked, config, cancellationToken);
    }

    /// <summary>
    /// Everything up to the handshake: manifest read, restore (with the manifest and image checks beside it). The copy runs but
    /// waits for its runtime config (no connections, no secrets), so it can be kept as a standby.
    /// </summary>
    public Task<(ParkedRestore? Parked, RestoreOutcome? Failure)> ParkAsync(CancellationToken cancellationToken) =>
        ParkAsync(_options.Directory, cancellationToken);

    /// <summary>As <see cref="ParkAsync(CancellationToken)"/>, for the snapshot in <paramref name="directory"/> (a model set's).</summary>
    public async Task<(ParkedRestore? Parked, RestoreOutcome? Failure)> ParkAsync(string? directory, CancellationToken cancellationToken)
    {
        var phases = new List<BootPhase>();
        if (string.IsNullOrWhiteSpace(directory))
        {
            return (null, Fail(null, phases, new(FallbackKind.NoSnapshotConfigured, "no Snapshot:Directory configured")));
        }

        if (!File.Exists(Path.Combine(directory, SnapshotManifest.FileName)))
        {
            return (null, Fail(null, phases, new(FallbackKind.SnapshotMissing, $"no {SnapshotManifest.FileName} in {directory}")));
        }

        var imageDirectory = Path.Combine(directory, SnapshotManifest.ImagesFolder);
        var workDir = Path.Combine(_options.WorkDirectory, Guid.NewGuid().ToString("N"));
        // The lazy-pages daemon reads the page maps while the manifest is checked.
        using var lazyPages = _options.LazyPages ? criu.StartLazyPages(imageDirectory, workDir) : null;
        var watch = Stopwatch.StartNew();
        SnapshotManifest manifest;
        bool signed;
        try
        {
            // With a signing key, nothing in the manifest is used before its signature is checked.
            (var read, signed, var refused) = await SignedManifest.ReadAsync(directory, _options, cancellationToken);
            if (refused is not null)
            {
                return (null, Fail(null, phases, refused));
            }

            manifest = read!;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidDataException)
        {
            return (null, Fail(null, phases, new(FallbackKind.ManifestUnreadable, $"cannot read the snapshot manifest: {e.Message}")));
        }

        phases.Add(new BootPhase("manifest read", watch.Elapsed.TotalMilliseconds, signed ? $"{manifest.SnapshotId} (signature verified)" : manifest.SnapshotId));

        // The weights are mappings of the model files, not part of the image: reading them into the
        // page cache from here on overlaps the disk with criu's work, so the restored worker's
        // page-in finds them resident. Not awaited: a restore never waits for it.
        if (_options.Prefetch)
        {
            StartPrefetch(manifest, withImages: !(_options.VerifyImages || signed) ? imageDirectory : null, cancellationToken);
        }

        // The host, criu, worker build and model checks (a criu process, stats and hashes of the
        // worker build: 23-35 ms on an AMD EPYC host) and the image checksums run while criu
        // restores. The copy stays stopped (SIGSTOP, no config, no connections) until both have
        // passed; a mismatch kills it and names itself as the reason, even where criu failed too.
        var manifestCheck = Task.Run(() => CompareWithHostAsync(manifest, cancellationToken), cancellationToken);
        var imageCheck = signed
            ? Task.Run(() => ManifestCheck.CompareImageSha256(manifest, directory), cancellationToken)
            : _options.VerifyImages
            ? Task.Run(() => ManifestCheck.CompareImages(manifest, directory), cancellationToken)
            : Task.FromResult<FallbackReason?>(null);
        watch.Restart();
        RestoredProcess restored;
        try
        {
            restored = await criu.RestoreAsync(imageDirectory, workDir, new RestoreStdio(manifest.StdioKeys), cancellationToken,
                lazyPages, leaveStopped: true);
        }
        catch (CriuException e)
        {
            // A changed host or a damaged image often makes criu fail too; the checks name the real cause.
            return (null, Fail(manifest.SnapshotId, phases, await manifestCheck ?? await imageCheck ?? new(FallbackKind.RestoreFailed, e.Message)));
        }

        // The restored copy's faults so far are criu's writes of its memory: the cost that huge pages cut.
        var faults = ProcFs.PageFaults(restored.HostPid) is { } f ? $"{f.Minor} minor, {f.Major} major faults" : null;
        phases.Add(new BootPhase("restore", watch.Elapsed.TotalMilliseconds, _options.LazyPages ? $"lazy pages; {faults}" : faults));
        // The side tasks are timed by the wait that was left after the restore.
        watch.Restart();
        var mismatch = await manifestCheck;
        phases.Add(new BootPhase("manifest check", watch.Elapsed.TotalMilliseconds, "beside the restore"));
        watch.Restart();
        var damaged = mismatch is null ? await imageCheck : null;
        var verifyImages = _options.VerifyImages || signed;
        phases.Add(new BootPhase("image check", watch.Elapsed.TotalMilliseconds, !verifyImages ? "off" : signed ? "SHA-256, beside the restore" : "beside the restore"));
        if ((mismatch ?? damaged) is { } reason)
        {
            await restored.DisposeAsync();
            return (null, Fail(manifest.SnapshotId, phases, reason));
        }

        restored.Resume();
        return (new ParkedRestore(restored, manifest, phases), null);
    }

    /// <summary>The cheap checks of <see cref="ManifestCheck"/>; a criu that cannot run is a failed restore.</summary>
    private async Task<FallbackReason?> CompareWithHostAsync(SnapshotManifest manifest, CancellationToken cancellationToken)
    {
        try
        {
            return ManifestCheck.Compare(manifest, await criu.VersionAsync(cancellationToken), _options.WorkerDirectory)
                ?? ManifestCheck.CompareUnetDtype(manifest.UnetDtype, models.Value.UnetDtype);
        }
        catch (CriuException e)
        {
            return new(FallbackKind.RestoreFailed, e.Message);
        }
    }

    /// <summary>Hands a parked copy its runtime config and waits for BOOTED (the copy is disposed on failure).</summary>
    public async Task<RestoreOutcome> HandshakeAsync(ParkedRestore parked, ResumeConfig config, CancellationToken cancellationToken)
    {
        var (restored, manifest) = (parked.Process, parked.Manifest);
        var phases = parked.Phases.ToList();
        var watch = Stopwatch.StartNew();
        var resume = config with
        {
            SnapshotId = manifest.SnapshotId,
            LauncherPhases = [.. phases.Select(p => new PreparePhase(p.Name, p.Milliseconds, p.Detail))],
            PageInWeightsAfterReady = _options.PageInWeights == WeightsPageIn.AfterReady,
        };
        var report = await HandshakeAsync(restored, resume, cancellationToken);
        if (report is null || report.Error is not null)
        {
            await restored.DisposeAsync();
            return report is null
                ? Fail(manifest.SnapshotId, phases, new(FallbackKind.HandshakeTimeout, $"restored worker did not answer within {_options.HandshakeTimeout.TotalSeconds:0.###} s"))
                : Fail(manifest.SnapshotId, phases, new(FallbackKind.CanaryFailed, report.Error!));
        }

        phases.Add(new BootPhase("handshake", watch.Elapsed.TotalMilliseconds));
        phases.AddRange(report.Phases.Select(p => new BootPhase(p.Name, p.Milliseconds, p.Detail)));
        logger.LogInformation("Restored snapshot {SnapshotId} as pid {HostPid}", manifest.SnapshotId, restored.HostPid);
        return new RestoreOutcome(restored, report, manifest.SnapshotId, phases, null);
    }

    /// <summary>
    /// Why a parked copy may no longer be used, or null: the snapshot folder holds another snapshot
    /// now, or the worker build or a model file differs from what the copy was made from.
    /// </summary>
    public async Task<FallbackReason?> StaleReasonAsync(ParkedRestore parked, CancellationToken cancellationToken)
    {
        if (!parked.Process.IsAlive)
        {
            return new(FallbackKind.StandbyGone, $"standby pid {parked.Process.HostPid} is gone");
        }

        try
        {
            var current = await SnapshotManifest.ReadAsync(_options.Directory!, cancellationToken);
            if (current.SnapshotId != parked.Manifest.SnapshotId)
            {
                return new(FallbackKind.SnapshotReplaced, $"the snapshot was replaced ({parked.Manifest.SnapshotId} -> {current.SnapshotId})");
            }
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidDataException)
        {
            return new(FallbackKind.ManifestUnreadable, $"cannot read the snapshot manifest: {e.Message}");
        }

        // criu itself does not matter any more: the copy is already restored.
        return ManifestCheck.Compare(parked.Manifest, parked.Manifest.CriuVersion, _options.WorkerDirectory)
            ?? ManifestCheck.CompareUnetDtype(parked.Manifest.UnetDtype, models.Value.UnetDtype);
    }

    // withImages: the image folder, when no image check reads it beside the restore anyway.
    private void StartPrefetch(SnapshotManifest manifest, string? withImages, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        _ = Task.Run(async () =>
        {
            try
            {
                // Images first: criu reads them now, the worker the weights only after criu is done.
                string[] images = withImages is null ? [] : [.. Directory.GetFiles(withImages).Order(StringComparer.Ordinal)];
                string[] files = [.. images, .. manifest.ModelFiles.Keys];
                var bytes = await PageCache.ReadInAsync(files, cancellationToken);
                logger.LogDebug("Prefetched {PrefetchMiB} MiB of snapshot files in {ElapsedMs:0} ms", bytes >> 20, watch.Elapsed.TotalMilliseconds);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
            {
                // Only a head start: the restored worker pages the weights in either way.
                logger.LogWarning("Could not prefetch the snapshot's files: {Reason}", e.Message);
            }
        }, CancellationToken.None);
    }

    private async Task<ResumeReport?> HandshakeAsync(RestoredProcess restored, ResumeConfig config, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.HandshakeTimeout);
        try
        {
            await restored.StandardInput.WriteLineAsync(PrepareProtocol.Resume(config).AsMemory(), deadline.Token);
            await restored.StandardInput.FlushAsync(deadline.Token);
            while (await restored.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.StartsWith(PrepareProtocol.BootedPrefix, StringComparison.Ordinal))
                {
                    return PrepareProtocol.ParseBooted(line);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out: reported as HandshakeTimeout.
        }
        catch (IOException)
        {
            // The restored process died: treated like a timeout.
        }

        return null;
    }

    private RestoreOutcome Fail(string? snapshotId, List<BootPhase> phases, FallbackReason reason)
    {
        logger.LogWarning("Snapshot restore not possible, cold boot instead: {FallbackKind}: {FallbackMessage}", reason.Kind, reason.Message);
        return new RestoreOutcome(null, null, snapshotId, phases, reason);
    }
}
