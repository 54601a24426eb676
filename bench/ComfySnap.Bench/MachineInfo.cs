using System.Runtime.InteropServices;
using ComfySnap.Snapshots;

namespace ComfySnap.Bench;

/// <summary>The machine a benchmark ran on, recorded with every result.</summary>
public sealed record MachineInfo(int Cores, long MemoryBytes, string Kernel, string Cpu, string Dotnet, string? Criu)
{
    public static async Task<MachineInfo> ReadAsync(CriuRunner? criu, CancellationToken ct)
    {
        var host = HostFacts.Read();
        var memKb = MemInfoKb("MemTotal");
        string? criuVersion = null;
        if (criu is not null)
        {
            try
            {
                criuVersion = await criu.VersionAsync(ct);
            }
            catch (CriuException)
            {
                // Not installed: suites that need it say so.
            }
        }

        return new MachineInfo(Environment.ProcessorCount, memKb * 1024, host.Kernel, host.CpuModel, RuntimeInformation.FrameworkDescription, criuVersion);
    }

    /// <summary>What the kernel estimates can be allocated without swapping (MemAvailable), in bytes.</summary>
    public static long AvailableBytes() => MemInfoKb("MemAvailable") * 1024;

    private static long MemInfoKb(string field) =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
