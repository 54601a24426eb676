using System.Diagnostics;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Where a boot's "runtime start" phase counts from: the process start for a process that is the
/// worker (serve, prepare, run-workflow), the host's start for a worker embedded in another program
/// (the demo, tests, benchmarks), whose process may have done anything before.
/// </summary>
public sealed class BootClock
{
    private readonly DateTime _originUtc;

    private BootClock(DateTime originUtc) => _originUtc = originUtc;

    public static BootClock FromProcessStart()
    {
        using var process = Process.GetCurrentProcess();
        return new BootClock(process.StartTime.ToUniversalTime());
    }

    public static BootClock StartingNow() => new(DateTime.UtcNow);

    public TimeSpan Elapsed => DateTime.UtcNow - _originUtc;
}
