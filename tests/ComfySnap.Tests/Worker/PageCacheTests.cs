using System.Runtime.InteropServices;
using ComfySnap.Diffusion.Models;

namespace ComfySnap.Tests.Worker;

/// <summary>
/// The real kernel: PageCache.ReadInAsync must bring a whole evicted file back into the page cache
/// (posix_fadvise WILLNEED, what the restorer used before, reads only the read-ahead window: 8 MiB).
/// </summary>
public sealed class PageCacheTests : IDisposable
{
    private const int DontNeed = 4;

    // Beside the test assembly (the checkout's disk): a tmpfs temp folder could not evict pages.
    private readonly string _folder = Path.Combine(AppContext.BaseDirectory, "page-cache-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Read_in_brings_a_whole_evicted_file_back_into_the_page_cache()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "weights.bin");
        const long size = 48L << 20;
        await using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var chunk = new byte[1 << 20];
            Random.Shared.NextBytes(chunk);
            for (var i = 0; i < size >> 20; i++)
            {
                await stream.WriteAsync(chunk);
            }

            stream.Flush(flushToDisk: true);
        }

        Evict(path);
        // Precondition (a file system that keeps written pages would make the test prove nothing).
        Assert.True(PageCache.ResidentBytes(path) < size / 4, $"could not evict the file: {PageCache.ResidentBytes(path)} bytes resident");

        var covered = await PageCache.ReadInAsync([path, Path.Combine(_folder, "missing.bin")], CancellationToken.None);

        Assert.Equal(size, covered);
        Assert.Equal(size, PageCache.ResidentBytes(path));
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static void Evict(string path)
    {
        using var handle = File.OpenHandle(path);
        Assert.Equal(0, posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, DontNeed));
    }

    [DllImport("libc")]
    private static extern int posix_fadvise(int fd, long offset, long length, int advice);
}
