using System.Globalization;
using System.Text.RegularExpressions;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Bench;

/// <summary>The restore's page faults as the restorer records them in its "restore" phase, and the host's THP mode.</summary>
public static partial class RestoreFaults
{
    /// <summary>criu's own phase of a restore, if the boot had one.</summary>
    public static BootPhase? RestorePhase(IReadOnlyList<BootPhase> phases) => phases.FirstOrDefault(p => p.Name == "restore");

    public static (long Minor, long Major)? Of(IReadOnlyList<BootPhase> phases) =>
        RestorePhase(phases)?.Detail is { } detail && Faults().Match(detail) is { Success: true } m
            ? (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;

    /// <summary>The selected mode of /sys/kernel/mm/transparent_hugepage/enabled ("madvise" on these hosts).</summary>
    public static string? TransparentHugePages()
    {
        const string path = "/sys/kernel/mm/transparent_hugepage/enabled";
        return File.Exists(path) && ThpMode().Match(File.ReadAllText(path)) is { Success: true } m ? m.Groups[1].Value : null;
    }

    [GeneratedRegex(@"(\d+) minor, (\d+) major faults")]
    private static partial Regex Faults();

    [GeneratedRegex(@"\[(\w+)\]")]
    private static partial Regex ThpMode();
}
