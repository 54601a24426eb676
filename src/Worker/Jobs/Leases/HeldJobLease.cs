using ComfySnap.Contracts;
using ComfySnap.Worker.Caching;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Jobs.Leases;

/// <summary>
/// A held lease, renewed every third of its TTL until disposed, then released (compare-and-delete).
/// When a renewal finds the job taken over (this worker stalled past the TTL and another run took
/// the lease, or answered), <see cref="Fenced"/> is cancelled: the run stops and must not answer.
/// </summary>
public sealed class HeldJobLease : IAsyncDisposable
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(2);
    private readonly IJobLeases _leases;
    private readonly string _jobId;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _fence = new();
    private readonly Task _renewal;
    private readonly Lock _lock = new();
    private long _confirmedAt;
    private LeaseRenewal? _fencedBy;

    public HeldJobLease(IJobLeases leases, string jobId, string owner, TimeSpan ttl, TimeProvider time, ILogger logger, long takenAt)
    {
        _leases = leases;
        _jobId = jobId;
        Owner = owner;
        _ttl = ttl;
        _time = time;
        _logger = logger;
        _confirmedAt = takenAt;
        _renewal = RenewAsync(_stop.Token);
    }

    /// <summary>This run's lease value: worker id and run id.</summary>
    public string Owner { get; }

    /// <summary>Cancelled once another run took the job over: link it into the run to stop it early.</summary>
    public CancellationToken Fenced => _fence.Token;

    /// <summary>The renewal that found the job taken over (another holder, or another run's answer); null while the lease is this run's.</summary>
    public LeaseRenewal? FencedBy
    {
        get
        {
            lock (_lock)
            {
                return _fencedBy;
            }
        }
    }

    /// <summary>
    /// Whether this run still holds the lease (or re-took it): free while the last confirmation is
    /// recent, else one renewal. Stored answers go through <see cref="CommitAsync"/> instead.
    /// </summary>
    public async Task<LeaseRenewal> CheckAsync(CancellationToken cancellationToken)
    {
        if (FencedBy is { } fenced)
        {
            return fenced;
        }

        // Redis counts the TTL from when it ran the command, later than we sent it: a confirmation
        // sent less than two thirds of the TTL ago proves the lease is still ours, stall or not.
        var sentAt = _time.GetTimestamp();
        if (_time.GetElapsedTime(Interlocked.Read(ref _confirmedAt), sentAt) < _ttl * 2 / 3)
        {
            return new LeaseRenewal(LeaseRenewalKind.Renewed);
        }

        var renewal = await _leases.RenewAsync(_jobId, Owner, _ttl, cancellationToken).ConfigureAwait(false);
        Observe(renewal, sentAt);
        return renewal;
    }

    /// <summary>Stores the job's answer in one step with the check that this run still holds the lease.</summary>
    public async Task<AnswerCommit> CommitAsync(WorkflowCompleted answer, CancellationToken cancellationToken)
    {
        var commit = await _leases.CommitAnswerAsync(_jobId, Owner, _ttl, ResultStore.SerializeCompletedJob(answer), cancellationToken).ConfigureAwait(false);
        if (commit.Kind == AnswerCommitKind.Retaken)
        {
            LogRetaken();
        }

        return commit;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        _stop.Dispose();
        using var timeout = new CancellationTokenSource(ReleaseTimeout);
        try
        {
            await _leases.ReleaseAsync(_jobId, Owner, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // it expires on its own
        }

        _fence.Dispose();
    }

    private async Task RenewAsync(CancellationToken stop)
    {
        try
        {
            while (FencedBy is null)
            {
                await Task.Delay(_ttl / 3, _time, stop).ConfigureAwait(false);
                var sentAt = _time.GetTimestamp();
                Observe(await _leases.RenewAsync(_jobId, Owner, _ttl, stop).ConfigureAwait(false), sentAt);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void Observe(LeaseRenewal renewal, long sentAt)
    {
        switch (renewal.Kind)
        {
            case LeaseRenewalKind.Renewed:
                Interlocked.Exchange(ref _confirmedAt, sentAt);
                break;
            case LeaseRenewalKind.Retaken:
                Interlocked.Exchange(ref _confirmedAt, sentAt);
                LogRetaken();
                break;
            case LeaseRenewalKind.TakenByOther or LeaseRenewalKind.Answered:
                lock (_lock)
                {
                    if (_fencedBy is not null)
                    {
                        return;
                    }

                    _fencedBy = renewal;
                }

                _fence.Cancel();
                break;
        }
    }

    private void LogRetaken() => _logger.LogWarning(
        "Job {JobId} re-took its lease {LeaseOwner}: it expired (this worker stalled past {LeaseTtl}) and no other run took the job over", _jobId, Owner, _ttl);
}
