using System.Globalization;

namespace ComfySnap.Bench;

/// <summary>A process's page faults so far (minor, major) from /proc/PID/stat, or null once it is gone.</summary>
public readonly record struct ProcessFaults(long Minor, long Major)
{
    public static ProcessFaults? Of(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // Fields after the command (which may hold spaces): state is field 3, minflt 10, majflt 12.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return new ProcessFaults(long.Parse(fields[7], CultureInfo.InvariantCulture), long.Parse(fields[9], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ProcessFaults operator -(ProcessFaults after, ProcessFaults before) => new(after.Minor - before.Minor, after.Major - before.Major);
}
