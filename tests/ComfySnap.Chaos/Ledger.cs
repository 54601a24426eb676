using System.Collections.Concurrent;
using System.Diagnostics;
using ComfySnap.Contracts;

namespace ComfySnap.Chaos;

/// <summary>One answer to a job: completed (with a signature of its outputs) or failed.</summary>
public sealed record Answer(bool Completed, string Signature, bool FromCache, FailureKind? Failure, long Timestamp);

/// <summary>Everything the client saw about one JobId.</summary>
public sealed class JobRecord
{
    public List<long> Sends { get; } = [];

    public List<(string WorkerId, long Timestamp)> Runs { get; } = [];

    public List<Answer> Answers { get; } = [];
}

/// <summary>Every send and every event of the run, by JobId, with Stopwatch timestamps.</summary>
public sealed class Ledger
{
    private readonly ConcurrentDictionary<string, JobRecord> _jobs = new(StringComparer.Ordinal);

    public ConcurrentQueue<WorkerBooted> Boots { get; } = new();

    public void Sent(string jobId) => Update(jobId, r => r.Sends.Add(Stopwatch.GetTimestamp()));

    public void Accepted(WorkflowAccepted m) => Update(m.JobId, r => r.Runs.Add((m.WorkerId, Stopwatch.GetTimestamp())));

    public void Completed(WorkflowCompleted m) => Update(m.JobId, r => r.Answers.Add(new Answer(true, Signature(m.Outputs), m.FromCache, null, Stopwatch.GetTimestamp())));

    public void Failed(WorkflowFailed m) => Update(m.JobId, r => r.Answers.Add(new Answer(false, "", false, m.Kind, Stopwatch.GetTimestamp())));

    public JobRecord? Get(string jobId) => _jobs.TryGetValue(jobId, out var r) ? r : null;

    /// <summary>How many of <paramref name="jobIds"/> have at least one answer.</summary>
    public int AnsweredCount(IEnumerable<string> jobIds) => jobIds.Count(id => Get(id) is { } r && Locked(r, () => r.Answers.Count > 0));

    public static T Locked<T>(JobRecord record, Func<T> read)
    {
        lock (record)
        {
            return read();
        }
    }

    private void Update(string jobId, Action<JobRecord> change)
    {
        var record = _jobs.GetOrAdd(jobId, _ => new JobRecord());
        lock (record)
        {
            change(record);
        }
    }

    // What a completed answer produced: its files' content hashes, in output order.
    private static string Signature(IReadOnlyList<OutputFile> outputs) =>
        string.Join(",", outputs.Select(o => $"{o.NodeId}:{o.Sha256.ToLowerInvariant()}"));
}
