using System.Collections.Concurrent;
using System.Diagnostics;
using ComfySnap.Contracts;

namespace ComfySnap.Bench.Bus;

/// <summary>
/// Every terminal answer (WorkflowCompleted or WorkflowFailed) per JobId, with the time it
/// arrived: round trips for the latency suites, lost and duplicate counts for the batch suite.
/// </summary>
public sealed class ResultTracker
{
    private readonly ConcurrentDictionary<string, Entry> _jobs = new();
    private int _unexpected;

    /// <summary>Answers for job ids never registered (left over from an earlier run, say).</summary>
    public int Unexpected => _unexpected;

    public int Answered => _jobs.Values.Count(e => e.Answer.Task.IsCompleted);

    public int Duplicates => _jobs.Values.Sum(e => Math.Max(0, e.Count - 1));

    public long LastAnswerAt { get; private set; } = Stopwatch.GetTimestamp();

    /// <summary>Registers a job before it is sent; the returned task completes with its first answer.</summary>
    public Task<Answer> Expect(string jobId) => _jobs.GetOrAdd(jobId, _ => new Entry()).Answer.Task;

    public void Record(string jobId, object message)
    {
        var at = Stopwatch.GetTimestamp();
        LastAnswerAt = at;
        if (!_jobs.TryGetValue(jobId, out var entry))
        {
            Interlocked.Increment(ref _unexpected);
            return;
        }

        Interlocked.Increment(ref entry.Count);
        entry.Answer.TrySetResult(new Answer(message as WorkflowCompleted, message as WorkflowFailed, at));
    }

    /// <summary>First answers counted per second since <paramref name="start"/> (a Stopwatch timestamp): the batch's throughput over time.</summary>
    public int[] AnswersPerSecond(long start)
    {
        var seconds = _jobs.Values.Where(e => e.Answer.Task.IsCompletedSuccessfully)
            .Select(e => (int)Math.Max(0, Stopwatch.GetElapsedTime(start, e.Answer.Task.Result.ReceivedAt).TotalSeconds)).ToList();
        var counts = new int[seconds.Count == 0 ? 0 : seconds.Max() + 1];
        foreach (var s in seconds)
        {
            counts[s]++;
        }

        return counts;
    }

    public IEnumerable<string> Unanswered() => _jobs.Where(p => !p.Value.Answer.Task.IsCompleted).Select(p => p.Key);

    public IEnumerable<WorkflowCompleted> Completions() => _jobs.Values
        .Where(e => e.Answer.Task.IsCompletedSuccessfully && e.Answer.Task.Result.Completed is not null)
        .Select(e => e.Answer.Task.Result.Completed!);

    public IEnumerable<WorkflowFailed> Failures() => _jobs.Values
        .Where(e => e.Answer.Task.IsCompletedSuccessfully && e.Answer.Task.Result.Failed is not null)
        .Select(e => e.Answer.Task.Result.Failed!);

    /// <summary>The first answer for a job and the Stopwatch timestamp it arrived at.</summary>
    public sealed record Answer(WorkflowCompleted? Completed, WorkflowFailed? Failed, long ReceivedAt);

    private sealed class Entry
    {
        public readonly TaskCompletionSource<Answer> Answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Count;
    }
}
