using ComfySnap.Snapshots;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// A restored worker is not its `serve` supervisor's child (criu detaches it into a PID namespace
/// of its own), so nothing ends it when the supervisor is killed outright (SIGKILL, the OOM
/// killer): it would go on consuming jobs with nobody reading its log or replacing it. It watches
/// the supervisor instead and, once that is gone, stops as on SIGTERM (a running job finishes or
/// goes back to the queue).
/// </summary>
public sealed class SupervisorWatch(IHostApplicationLifetime lifetime, TimeProvider time, ILogger<SupervisorWatch> logger)
{
    /// <summary>How often the supervisor is looked at: one /proc read, so a job is not slowed by it.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public async Task WatchAsync(int supervisorPid, CancellationToken cancellationToken)
    {
        // The start time tells the supervisor from a later process that got its pid.
        var started = ProcFs.StartTime(supervisorPid);
        try
        {
            while (started is not null && ProcFs.StartTime(supervisorPid) == started)
            {
                await Task.Delay(Interval, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        logger.LogWarning("Supervisor pid {SupervisorPid} is gone: this restored worker stops as on SIGTERM", supervisorPid);
        lifetime.StopApplication();
    }
}
