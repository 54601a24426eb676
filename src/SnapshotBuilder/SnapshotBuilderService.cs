using System.Diagnostics;
using ComfySnap.Snapshots;
using Microsoft.Extensions.Logging;

namespace ComfySnap.SnapshotBuilder;

/// <summary>
/// Prepares a worker in its own PID namespace (GPU masked, no bus, no secrets), waits until it
/// parks, inspects it, checkpoints it with CRIU and writes the manifest.
/// </summary>
public sealed class SnapshotBuilderService(CriuRunner criu, ILogger<SnapshotBuilderService> logger)
{
    public async Task<SnapshotManifest> BuildAsync(BuildRequest request, CancellationToken cancellationToken)
    {
        PreloadEntries.ThrowIfUrl(request.Preload);
        var images = Path.Combine(request.OutputDirectory, SnapshotManifest.ImagesFolder);
        if (Directory.Exists(images))
        {
            Directory.Delete(images, recursive: true);
        }

        Directory.CreateDirectory(images);
        File.Delete(Path.Combine(request.OutputDirectory, ManifestSignature.FileName));
        var workerDirectory = Path.GetDirectoryName(Path.GetFullPath(request.WorkerDll))!;
        var workDirectory = request.EffectiveWorkDirectory;
        Directory.CreateDirectory(workDirectory);

        await using var worker = await NamespacedProcess.StartAsync(
            request.Dotnet, [Path.GetFullPath(request.WorkerDll), "prepare"], PreparedWorkerEnvironment.For(request), workDirectory, cancellationToken);
        logger.LogInformation("Preparing worker as host pid {HostPid}", worker.HostPid);
        var stderr = PumpAsync(worker.StandardError, cancellationToken);
        var phases = await WaitUntilReadyAsync(worker, request.PrepareTimeout, cancellationToken);

        var refusals = ProcessInspector.Inspect(worker.HostPid, [.. request.SecretNames, SnapshotSigningKey.EnvironmentVariable]);
        if (refusals.Count > 0)
        {
            throw new SnapshotRefusedException(refusals);
        }

        var stdio = worker.StdioKeys();
        var mappedFiles = ProcFs.MappedFiles(worker.HostPid);
        // Read while the worker is parked; the image names the worker by its pid in its namespace.
        var anonymous = AnonymousRegions.Of(worker.HostPid);
        var imageId = ProcFs.NamespacePid(worker.HostPid);
        var dumpWatch = Stopwatch.StartNew();
        await criu.DumpAsync(worker.HostPid, images, cancellationToken);
        logger.LogInformation("Dumped in {ElapsedMs} ms", dumpWatch.ElapsedMilliseconds);
        var trim = ZeroPageTrim.Apply(images, imageId, anonymous, cancellationToken);
        logger.LogInformation("Left {DroppedPages} of {Pages} pages out of the image: zero-filled anonymous memory, zero again on restore", trim.PagesDropped, trim.PagesBefore);
        await worker.WaitForExitAsync(cancellationToken);
        await Task.WhenAny(stderr, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken)); // drain the last log lines

        var imageFiles = FileDigest.OfFolder(images, "*.img");
        var manifest = new SnapshotManifest
        {
            SnapshotId = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}"[..27],
            CreatedAt = DateTimeOffset.UtcNow,
            CriuVersion = await criu.VersionAsync(cancellationToken),
            Host = HostFacts.Read(),
            WorkerDirectory = workerDirectory,
            WorkerFiles = WorkerFingerprint.Of(workerDirectory),
            NodePackDirectory = Path.GetFullPath(request.NodePackDirectory),
            NodePackFiles = FileDigest.OfFolder(request.NodePackDirectory, "*.dll"),
            ModelFiles = ModelFingerprint.Of(request.ModelsDirectory, request.Preload, mappedFiles),
            UnetDtype = request.UnetDtype,
            PreparePhases = phases,
            ImageBytes = Directory.EnumerateFiles(images).Sum(f => new FileInfo(f).Length),
            ImageFiles = imageFiles,
            ImageSha256 = request.SigningKey is null ? null : ImageSha256.OfFolder(images, cancellationToken),
            StdioKeys = stdio,
        };
        await manifest.WriteAsync(request.OutputDirectory, cancellationToken);
        if (request.SigningKey is not null)
        {
            await ManifestSignature.WriteAsync(request.OutputDirectory, request.SigningKey, cancellationToken);
            logger.LogInformation("Signed the manifest ({SignatureFile})", ManifestSignature.FileName);
        }
        logger.LogInformation("Snapshot {SnapshotId}: {ImageBytes} bytes in {ImageCount} image files", manifest.SnapshotId, manifest.ImageBytes, imageFiles.Count);
        return manifest;
    }

    private async Task<IReadOnlyList<PreparePhase>> WaitUntilReadyAsync(NamespacedProcess worker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (await worker.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.StartsWith(PrepareProtocol.ReadyPrefix, StringComparison.Ordinal))
                {
                    return PrepareProtocol.ParseReady(line);
                }

                logger.LogInformation("[prepare] {Line}", line);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the prepared worker did not report READY within {timeout.TotalSeconds:0} s");
        }

        throw new InvalidOperationException("the prepared worker exited before it was ready (see its log above)");
    }

    private async Task PumpAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            logger.LogInformation("[prepare] {Line}", line);
        }
    }
}
