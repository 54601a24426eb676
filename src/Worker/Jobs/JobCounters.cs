namespace ComfySnap.Worker.Jobs;

/// <summary>Jobs in flight and answered in this worker, for its heartbeat.</summary>
public sealed class JobCounters
{
    private int _running;
    private long _done;

    public int Running => Volatile.Read(ref _running);

    public long Done => Interlocked.Read(ref _done);

    /// <summary>Counts a job as running until the returned scope is disposed, then as done.</summary>
    public Scope Track()
    {
        Interlocked.Increment(ref _running);
        return new Scope(this);
    }

    public readonly struct Scope(JobCounters counters) : IDisposable
    {
        public void Dispose()
        {
            Interlocked.Decrement(ref counters._running);
            Interlocked.Increment(ref counters._done);
        }
    }
}
