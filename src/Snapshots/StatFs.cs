using System.Runtime.InteropServices;

namespace ComfySnap.Snapshots;

/// <summary>statfs(2)'s file-system type (f_type), which .NET's DriveInfo does not expose.</summary>
public static class StatFs
{
    /// <summary>The f_type magic of the file system holding <paramref name="path"/>, or 0 when unknown.</summary>
    public static long TypeOf(string path)
    {
        // struct statfs on 64-bit Linux is 120 bytes and starts with `long f_type`.
        var buffer = new long[16];
        return statfs(path, buffer) == 0 ? buffer[0] : 0;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statfs([MarshalAs(UnmanagedType.LPUTF8Str)] string path, long[] buffer);
}
