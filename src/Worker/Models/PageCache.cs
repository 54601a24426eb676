namespace ComfySnap.Worker.Models;

/// <summary>Reads files start to end so the page cache holds them (sequential reads are the fastest way off a disk).</summary>
public static class PageCache
{
    private const int ChunkBytes = 4 * 1024 * 1024;

    public static async Task WarmAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        foreach (var path in paths.Where(File.Exists))
        {
            using var handle = File.OpenHandle(path, options: FileOptions.SequentialScan | FileOptions.Asynchronous);
            long offset = 0;
            int read;
            while ((read = await RandomAccess.ReadAsync(handle, buffer, offset, cancellationToken).ConfigureAwait(false)) > 0)
            {
                offset += read;
            }
        }
    }
}
