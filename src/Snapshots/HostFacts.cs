namespace ComfySnap.Snapshots;

/// <summary>The facts about a machine that a snapshot must match to be restored on it.</summary>
public sealed record HostFacts(string Kernel, string CpuModel, IReadOnlyList<string> CpuFlags)
{
    public static HostFacts Read()
    {
        var cpuinfo = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();
        string Field(string name) => cpuinfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
        return new HostFacts(
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            Field("model name"),
            [.. Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)]);
    }
}
