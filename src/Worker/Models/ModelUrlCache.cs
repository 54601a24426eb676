using System.Net.Http;
using System.Security.Cryptography;
using ComfySnap.Diffusion.Models;
using ComfySnap.NodeSdk;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Models;

/// <summary>
/// The host's content-addressed cache of models named by pinned URL (&lt;sha256&gt;&lt;ext&gt; in
/// Models:Download:CacheDirectory). One process downloads a hash at a time (an exclusive flock on
/// &lt;sha256&gt;.lock; the others wait and then find the file); the body goes through the guarded
/// client into a temporary file in the same folder, hashed while it streams, and is renamed into
/// place only when its SHA-256 is the pinned one. Before a new file is kept, the least recently used
/// files no process has loaded (<see cref="ModelStore"/> holds a shared flock on each) are removed
/// while the cache would pass Models:Download:MaxCacheBytes.
/// </summary>
public sealed partial class ModelUrlCache(IHttpClientFactory clients, IOptions<ModelStoreOptions> options, ILogger<ModelUrlCache> logger)
{
    /// <summary>The named HttpClient (its handler is the guarded one of Models:Download).</summary>
    public const string ClientName = "comfysnap-models";

    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(100);

    public string Directory => options.Value.ResolvedDownloadCacheDirectory;

    /// <summary>The cached file of <paramref name="url"/>, downloaded and verified first when missing; throws <see cref="InputFileException"/> with the reason when it cannot be had.</summary>
    public async Task<string> EnsureAsync(ModelUrl url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var folder = Directory;
        System.IO.Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, url.CacheFileName);
        if (TryTouch(path))
        {
            return path;
        }

        using var downloading = await FileLock.TakeAsync(Path.Combine(folder, url.Sha256 + ".lock"), exclusive: true, LockPoll, cancellationToken).ConfigureAwait(false);
        if (TryTouch(path))
        {
            logger.LogInformation("Model {Sha256} was downloaded by another process meanwhile", url.Sha256);
            return path;
        }

        var temporary = Path.Combine(folder, $"{url.Sha256}.{Guid.NewGuid():N}.part");
        try
        {
            var (bytes, sha256) = await DownloadAsync(url, temporary, cancellationToken).ConfigureAwait(false);
            if (sha256 != url.Sha256)
            {
                throw new InputFileException($"model URL {OutboundUrls.Redacted(url.Location)} delivered a file whose sha256 is {sha256}, not the pinned {url.Sha256}: it was removed, not used");
            }

            MakeRoom(folder, bytes);
            File.Move(temporary, path, overwrite: true);
            TryTouch(path);
            logger.LogInformation("Model {Url} downloaded and verified: {Size} bytes as {File}", OutboundUrls.Redacted(url.Location), bytes, url.CacheFileName);
            return path;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The cached model files (content-addressed names only: no lock or partial files), with their last use.</summary>
    public IReadOnlyList<CachedModelFile> Files() =>
        !System.IO.Directory.Exists(Directory) ? [] :
        [.. new DirectoryInfo(Directory).EnumerateFiles()
            .Where(f => CachedName().IsMatch(f.Name))
            .Select(f => new CachedModelFile(f.FullName, f.Length, f.LastAccessTimeUtc))];

    private async Task<(long Bytes, string Sha256)> DownloadAsync(ModelUrl url, string temporary, CancellationToken cancellationToken)
    {
        var settings = options.Value.Download;
        var shown = OutboundUrls.Redacted(url.Location);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.FetchTimeout);
        try
        {
            var client = clients.CreateClient(ClientName);
            using var response = await client.GetAsync(url.Location, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InputFileException($"model URL {shown} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength is > 0 and var length && length > settings.MaxBytes)
            {
                throw new InputFileException($"model URL {shown} is {length} bytes, more than Models:Download:MaxBytes {settings.MaxBytes}");
            }

            var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await using (file.ConfigureAwait(false))
                {
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var chunk = new byte[1 << 16];
                    long total = 0;
                    int read;
                    while ((read = await body.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
                    {
                        total += read;
                        if (total > settings.MaxBytes)
                        {
                            throw new InputFileException($"model URL {shown} delivered more than Models:Download:MaxBytes {settings.MaxBytes} bytes");
                        }

                        hash.AppendData(chunk, 0, read);
                        await file.WriteAsync(chunk.AsMemory(0, read), timeout.Token).ConfigureAwait(false);
                    }

                    await file.FlushAsync(timeout.Token).ConfigureAwait(false);
                    return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InputFileException($"model URL {shown} did not deliver within Models:Download:FetchTimeout {settings.FetchTimeout}");
        }
        catch (HttpRequestException e)
        {
            throw new InputFileException(GuardedConnector.RefusalIn(e) is { } refused
                ? $"model URL {shown}: {refused.Message}"
                : $"model URL {shown} could not be downloaded: {e.Message}");
        }
    }

    private void MakeRoom(string folder, long incomingBytes)
    {
        var cap = options.Value.Download.MaxCacheBytes;
        var removed = CacheEviction.Evict(Files(), incomingBytes, cap, TryRemoveUnused);
        foreach (var file in removed)
        {
            logger.LogInformation("Model cache {Folder}: removed {File} ({Size} bytes, last used {LastUsed:o}) to stay within Models:Download:MaxCacheBytes {Cap}", folder, Path.GetFileName(file.Path), file.Bytes, file.LastUsedUtc, cap);
        }

        if (cap > 0 && Files().Sum(f => f.Bytes) + incomingBytes > cap)
        {
            logger.LogWarning("Model cache {Folder} passes Models:Download:MaxCacheBytes {Cap}: the files left are loaded by running workers", folder, cap);
        }
    }

    // An exclusive flock succeeds only when no process holds the file loaded (their shared flocks).
    private static bool TryRemoveUnused(CachedModelFile file)
    {
        using var unused = FileLock.TryTake(file.Path, exclusive: true);
        if (unused is null)
        {
            return false;
        }

        File.Delete(file.Path);
        return true;
    }

    // The last use is recorded explicitly (a mount with noatime would never move it).
    private static bool TryTouch(string path)
    {
        try
        {
            File.SetLastAccessTimeUtc(path, DateTime.UtcNow);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9a-f]{64}\.[a-z]+$")]
    private static partial System.Text.RegularExpressions.Regex CachedName();
}
