using System.Runtime.InteropServices;
using ComfySnap.Snapshots;

namespace ComfySnap.Bench;

/// <summary>The machine a benchmark ran on, recorded with every result.</summary>
public sealed record MachineInfo(int Cores, long MemoryBytes, string Kernel, string Cpu, string Dotnet, string? Criu)
{
    public static async Task<MachineInfo> ReadAsync(CriuRunner? criu, CancellationToken ct)
    {
        var host = HostFacts.Read();
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
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

        return new MachineInfo(Environment.ProcessorCount, long.Parse(memKb) * 1024, host.Kernel, host.CpuModel, RuntimeInformation.FrameworkDescription, criuVersion);
    }
}
