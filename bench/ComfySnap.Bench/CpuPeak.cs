using System.Globalization;

namespace ComfySnap.Bench;

/// <summary>
/// The CPU's theoretical fp32 peak: cores x clock x FLOPs per cycle per core, where FLOPs per cycle
/// come from the widest FMA the core executes at full rate (two FMA pipes on every core this
/// bench meets: AVX-512 at 512 bits on Intel server cores and AMD Zen 5, AVX-512 double-pumped
/// on 256-bit pipes on Zen 4, AVX2 elsewhere). The clock is the one /proc/cpuinfo reports (the
/// TSC's nominal rate in these VMs; boost clocks can be higher), so this is a nominal peak.
/// </summary>
public sealed record CpuPeak(int Cores, double Mhz, int Fp32FlopsPerCycle, string Basis)
{
    public double Gflops => Cores * Mhz / 1000 * Fp32FlopsPerCycle;

    public static CpuPeak Read()
    {
        var cpuinfo = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();
        string Field(string name) => cpuinfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
        var mhz = double.TryParse(Field("cpu MHz"), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : 0;
        var (perCycle, basis) = FlopsPerCycle(Field("vendor_id"), Field("cpu family"), Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
        return new CpuPeak(Environment.ProcessorCount, mhz, perCycle, basis);
    }

    /// <summary>fp32 FLOPs per cycle per core: 2 FMA pipes x lanes x 2 (a multiply and an add).</summary>
    public static (int PerCycle, string Basis) FlopsPerCycle(string vendor, string family, IReadOnlySet<string> flags)
    {
        var amd = vendor == "AuthenticAMD";
        if (flags.Contains("avx512f"))
        {
            // Zen 4 (family 25) runs 512-bit ops on 256-bit pipes; Zen 5 (26) and Intel's server cores have 512-bit pipes.
            return amd && family == "25" ? (32, "AVX-512 on 2x256-bit FMA pipes (Zen 4)") : (64, "AVX-512, 2 FMA pipes");
        }

        return flags.Contains("avx2") && flags.Contains("fma") ? (32, "AVX2, 2 FMA pipes") : (8, "SSE");
    }
}
