using System.Runtime.InteropServices;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Gives glibc malloc's free memory back to the kernel just before the dump (malloc_trim(0):
/// every arena, not only the top of the main heap). What the warm-up freed (libtorch's tensors,
/// oneDNN's scratch buffers) otherwise stays resident in the arenas, and criu writes every such page
/// into the image and, on restore, into fresh memory: a first touch per 4 KiB page, which is
/// the restore's main cost on hosts where a first touch is slow.
/// </summary>
public static partial class NativeHeapTrim
{
    /// <summary>The process's resident anonymous memory before and after the trim, in bytes.</summary>
    public static (long Before, long After) Run()
    {
        var before = ResidentAnonymousBytes();
        // The result only says whether anything was released: the RSS difference says how much.
        _ = malloc_trim(0);
        return (before, ResidentAnonymousBytes());
    }

    /// <summary>RssAnon of /proc/self/status (kB there).</summary>
    public static long ResidentAnonymousBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);
}
