using System.Runtime.InteropServices;

namespace ComfySnap.Worker.Models;

/// <summary>
/// Asks the kernel to read files into the page cache (posix_fadvise WILLNEED): the reads go on in
/// the background and nothing is copied through this process, so a file that is already cached
/// costs next to nothing.
/// </summary>
public static class PageCache
{
    private const int WillNeed = 3;

    public static void Prefetch(IEnumerable<string> paths)
    {
        foreach (var path in paths.Where(File.Exists))
        {
            using var handle = File.OpenHandle(path);
            // Only a hint: an error code here changes nothing but speed.
            _ = posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, WillNeed);
        }
    }

    [DllImport("libc")]
    private static extern int posix_fadvise(int fd, long offset, long length, int advice);
}
