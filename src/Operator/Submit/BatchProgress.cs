using System.Collections.Concurrent;
using System.Diagnostics;

namespace ComfySnap.Operator.Submit;

/// <summary>Counts of one submit run, updated from the event handlers; thread-safe.</summary>
public sealed class BatchProgress
{
    private readonly ConcurrentDictionary<string, PlannedJob> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Name, string Kind, string Message)> _failures = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _completed;
    private int _failed;
    private int _fromCache;
    private int _outputs;
    private long _lastAnswerTicks = Stopwatch.GetTimestamp();

    public int Total { get; init; }

    /// <summary>Answered by an earlier run (--resume).</summary>
    public int Earlier { get; init; }

    public int EarlierFailed { get; init; }

    public int Completed => _completed;

    public int Failed => _failed;

    public int FromCache => _fromCache;

    public int Outputs => _outputs;

    public int Pending => _pending.Count;

    public int Answered => _completed + _failed;

    public TimeSpan Elapsed => _clock.Elapsed;

    public TimeSpan SinceLastAnswer => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastAnswerTicks));

    public IEnumerable<(string Name, string Kind, string Message)> Failures => _failures;

    /// <summary>Answers per second in this run.</summary>
    public double Rate => Answered / Math.Max(0.001, _clock.Elapsed.TotalSeconds);

    public void Expect(PlannedJob job) => _pending[job.JobId] = job;

    /// <summary>Takes the job out of the pending set; null when it is not ours or already answered.</summary>
    public PlannedJob? Take(string jobId)
    {
        if (!_pending.TryRemove(jobId, out var job))
        {
            return null;
        }

        Interlocked.Exchange(ref _lastAnswerTicks, Stopwatch.GetTimestamp());
        return job;
    }

    public void MarkCompleted(bool fromCache, int outputs)
    {
        Interlocked.Add(ref _outputs, outputs);
        if (fromCache)
        {
            Interlocked.Increment(ref _fromCache);
        }

        Interlocked.Increment(ref _completed);
    }

    public void MarkFailed(string name, string kind, string message)
    {
        _failures.Enqueue((name, kind, message));
        Interlocked.Increment(ref _failed);
    }

    public IReadOnlyList<PlannedJob> Unanswered() => [.. _pending.Values.OrderBy(j => j.Name, StringComparer.Ordinal)];
}
