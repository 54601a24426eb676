using ComfySnap.Contracts;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Jobs.Leases;

/// <summary>
/// One JobId, one run: takes the job's lease before it runs, or waits while another run holds it
/// and answers with that run's stored result. When the holder dies its lease expires and this run
/// takes over; while the lease store is down the job runs without a lease.
/// </summary>
public sealed class JobLeaseGate(IJobLeases leases, ResultStore results, IOptions<JobOptions> options, IOptions<BusOptions> busOptions,
    TimeProvider time, ILogger<JobLeaseGate> logger)
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>Returns the stored answer of another run, or the right to run (dispose it when the job is answered).</summary>
    public async Task<JobLeaseEntry> EnterAsync(string jobId, CancellationToken cancellationToken)
    {
        var ttl = options.Value.LeaseTtl;
        var owner = $"{busOptions.Value.EffectiveWorkerId}/{Guid.NewGuid():N}";
        var delay = FirstPoll;
        var waited = false;
        while (true)
        {
            var takenAt = time.GetTimestamp();
            var attempt = await leases.TryAcquireAsync(jobId, owner, ttl, cancellationToken).ConfigureAwait(false);
            if (attempt == LeaseAttempt.Unavailable)
            {
                return new JobLeaseEntry(null, null);
            }

            if (attempt == LeaseAttempt.Acquired)
            {
                var lease = new HeldJobLease(leases, jobId, owner, ttl, time, logger, takenAt);
                // A run that answered and released between our lookup and our SET left its answer behind.
                if (await results.GetCompletedJobAsync(jobId, cancellationToken).ConfigureAwait(false) is { } answered)
                {
                    await lease.DisposeAsync().ConfigureAwait(false);
                    return new JobLeaseEntry(answered, null);
                }

                if (waited)
                {
                    logger.LogWarning("Job {JobId}: the run holding its lease ended without an answer (it failed, was cancelled or died); running it here", jobId);
                }

                return new JobLeaseEntry(null, lease);
            }

            if (!waited)
            {
                logger.LogInformation("Job {JobId} is running on another worker (lease held): waiting for its answer", jobId);
                waited = true;
            }

            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            if (await results.GetCompletedJobAsync(jobId, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                return new JobLeaseEntry(stored, null);
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.LeasePollMax.Ticks));
        }
    }
}

/// <summary>The outcome of <see cref="JobLeaseGate.EnterAsync"/>: another run's answer, or a held lease (null: no lease store).</summary>
public sealed record JobLeaseEntry(WorkflowCompleted? StoredAnswer, HeldJobLease? Lease) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Lease?.DisposeAsync() ?? ValueTask.CompletedTask;
}
