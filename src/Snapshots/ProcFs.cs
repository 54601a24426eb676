namespace ComfySnap.Snapshots;

/// <summary>Small readers over /proc used to find, inspect and wait for processes.</summary>
public static class ProcFs
{
    /// <summary>The direct children of a process (from /proc/PID/task/*/children).</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        var result = new List<int>();
        var tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks))
        {
            return result;
        }

        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                var text = File.ReadAllText(Path.Combine(task, "children"));
                result.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
            }
            catch (IOException)
            {
                // The task ended while we read it.
            }
        }

        return result;
    }

    /// <summary>A process's pid in its innermost PID namespace (the last NSpid of /proc/PID/status): how criu's images name it.</summary>
    public static int NamespacePid(int hostPid) =>
        File.ReadLines($"/proc/{hostPid}/status").FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal)) is { } line
            ? int.Parse(line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[^1], System.Globalization.CultureInfo.InvariantCulture)
            : hostPid;

    /// <summary>What an fd of a process points at, e.g. "pipe:[1234]" or "/dev/null".</summary>
    public static string? FdTarget(int pid, int fd)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Regular files the process has mapped (from /proc/PID/maps), as absolute paths.</summary>
    public static IReadOnlyList<string> MappedFiles(int pid) =>
    [
        .. File.ReadLines($"/proc/{pid}/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 6 && parts[5].StartsWith('/'))
            .Select(parts => parts[5].Trim())
            .Distinct(StringComparer.Ordinal),
    ];

    /// <summary>The process's start time (clock ticks since boot, /proc/PID/stat field 22); null when it is gone or a zombie.</summary>
    public static long? StartTime(int pid) =>
        StatFields(pid) is { } fields && fields[0] is not ("Z" or "X") ? long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// Page faults the process has taken (/proc/PID/stat fields 10 and 12): minor (a fresh page
    /// mapped in) and major (read from disk). For a restored process they count criu's writing of
    /// its memory, which is where a restore's time goes on hosts where a first touch is slow.
    /// Null when it is gone.
    /// </summary>
    public static (long Minor, long Major)? PageFaults(int pid) =>
        StatFields(pid) is { } fields
            ? (long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[9], System.Globalization.CultureInfo.InvariantCulture))
            : null;

    // The fields of /proc/PID/stat after the command name, which may hold spaces and parentheses:
    // index 0 is field 3 (state). Null when the process is gone.
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => StartTime(pid) is not null;

    /// <summary>Waits until a process (not necessarily our child) is gone or a zombie.</summary>
    public static async Task WaitForExitAsync(int pid, CancellationToken cancellationToken)
    {
        while (IsAlive(pid))
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for a process to appear as a child of <paramref name="parentPid"/>.</summary>
    public static async Task<int> WaitForChildAsync(int parentPid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var children = Children(parentPid);
            if (children.Count > 0)
            {
                return children[0];
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"process {parentPid} started no child within {timeout.TotalSeconds:0.#} s");
    }
}
