using System.Globalization;

namespace ComfySnap.Snapshots;

/// <summary>
/// Looks at a parked process before it is checkpointed and lists what would make the snapshot
/// unsafe or unrestorable: GPU device files or driver mappings, TCP sockets, regular files open
/// for writing, and configured secrets in its environment.
/// </summary>
public static class ProcessInspector
{
    private const int WriteAccessMask = 0b11; // O_WRONLY | O_RDWR in the flags of /proc/PID/fdinfo

    public static IReadOnlyList<SnapshotRefusal> Inspect(int pid, IReadOnlyCollection<string> secretNames)
    {
        var refusals = new List<SnapshotRefusal>();
        var tcpInodes = TcpSocketInodes(pid);
        foreach (var fdPath in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            var fd = Path.GetFileName(fdPath);
            var target = new FileInfo(fdPath).LinkTarget ?? "";
            if (target.StartsWith("/dev/nvidia", StringComparison.Ordinal))
            {
                refusals.Add(new(RefusalKind.GpuDevice, $"fd {fd} -> {target}"));
            }
            else if (target.StartsWith("socket:[", StringComparison.Ordinal) && tcpInodes.Contains(target[8..^1]))
            {
                refusals.Add(new(RefusalKind.TcpSocket, $"fd {fd} is a TCP socket ({target})"));
            }
            else if (target.StartsWith('/') && !target.StartsWith("/dev/", StringComparison.Ordinal) && IsOpenForWriting(pid, fd) && File.Exists(target))
            {
                refusals.Add(new(RefusalKind.WritableFile, $"fd {fd} -> {target} is open for writing"));
            }
        }

        foreach (var mapping in File.ReadLines($"/proc/{pid}/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "").Distinct())
        {
            var name = Path.GetFileName(mapping);
            if (mapping.StartsWith("/dev/nvidia", StringComparison.Ordinal) || name.StartsWith("libcuda", StringComparison.Ordinal) || name.StartsWith("libnvidia-", StringComparison.Ordinal))
            {
                refusals.Add(new(RefusalKind.GpuDevice, $"mapping {mapping}"));
            }
        }

        foreach (var variable in Environment(pid).Where(e => secretNames.Contains(e.Key) || LooksSecret(e.Key) || HoldsCredential(e.Value)).Select(e => e.Key))
        {
            refusals.Add(new(RefusalKind.SecretInEnvironment, $"environment variable {variable}"));
        }

        return refusals;
    }

    public static IReadOnlyDictionary<string, string> Environment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);

    // Names that by convention hold credentials; the builder never snapshots them.
    private static bool LooksSecret(string name)
    {
        var upper = name.ToUpperInvariant();
        return upper.Contains("PASSWORD", StringComparison.Ordinal) || upper.Contains("SECRET", StringComparison.Ordinal)
            || upper.Contains("TOKEN", StringComparison.Ordinal) || upper.EndsWith("_KEY", StringComparison.Ordinal);
    }

    // Values that carry one whatever the name: a Redis configuration string with password=, a URI with user:password@.
    private static bool HoldsCredential(string value) =>
        value.Contains("password=", StringComparison.OrdinalIgnoreCase)
        || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal));

    private static bool IsOpenForWriting(int pid, string fd)
    {
        var flags = File.ReadLines($"/proc/{pid}/fdinfo/{fd}").FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return flags is not null && (Convert.ToInt32(flags[6..].Trim(), 8) & WriteAccessMask) != 0;
    }

    private static HashSet<string> TcpSocketInodes(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "tcp", "tcp6" })
        {
            var path = $"/proc/{pid}/net/{table}";
            if (!File.Exists(path))
            {
                continue;
            }

            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length > 9 && long.TryParse(columns[9], NumberStyles.Integer, CultureInfo.InvariantCulture, out var inode) && inode != 0)
                {
                    inodes.Add(columns[9]);
                }
            }
        }

        return inodes;
    }
}
