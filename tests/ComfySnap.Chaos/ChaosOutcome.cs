using System.Diagnostics;
using ComfySnap.Contracts;

namespace ComfySnap.Chaos;

/// <summary>What the run measured, computed from the ledger once the batch is drained (or the bound has passed).</summary>
public sealed record ChaosOutcome(
    int Jobs,
    int Answered,
    IReadOnlyList<string> Lost,
    IReadOnlyList<string> Conflicting,
    IReadOnlyDictionary<string, int> Reexecuted,
    IReadOnlyList<string> UnexplainedReexecutions,
    int Fenced,
    int DuplicateJobs,
    IReadOnlyList<string> DuplicatesNotMatchingFirst,
    int CancelledJobs,
    int CancelledAnsweredCancelled,
    IReadOnlyDictionary<string, int> UnexpectedFailures,
    IReadOnlyDictionary<string, int> FaultsInjected,
    IReadOnlyDictionary<string, int> FaultsSkipped,
    double LatencyP50Ms,
    double LatencyP99Ms,
    IReadOnlyDictionary<string, int> BootsByMode,
    int WorkerRestarts,
    IReadOnlyList<FaultRecovery> Recovery,
    IReadOnlyDictionary<string, RecoverySummary> RecoveryByKind)
{
    /// <summary>
    /// What must hold: nothing lost, no JobId with two different results, every duplicate
    /// answered with the first result, and every kind of fault injected at least once.
    /// </summary>
    public bool Holds => Lost.Count == 0 && Conflicting.Count == 0 && DuplicatesNotMatchingFirst.Count == 0 && FaultsInjected.Values.All(n => n > 0);

    public static ChaosOutcome From(IReadOnlyList<PlannedJob> jobs, Ledger ledger, FaultInjector faults, ChaosCluster cluster, long batchStart)
    {
        var unexplained = new List<string>();
        var lost = new List<string>();
        var conflicting = new List<string>();
        var duplicatesWrong = new List<string>();
        var reexecuted = new Dictionary<string, int> { ["after_worker_killed"] = 0, ["during_redis_outage"] = 0, ["unexplained"] = 0 };
        var unexpected = new Dictionary<string, int>();
        var latencies = new List<double>();
        var cancelledAnsweredCancelled = 0;
        foreach (var job in jobs)
        {
            var record = ledger.Get(job.JobId) ?? new JobRecord();
            lock (record)
            {
                if (record.Answers.Count == 0)
                {
                    lost.Add(job.JobId);
                    continue;
                }

                latencies.Add(Stopwatch.GetElapsedTime(record.Sends[0], record.Answers.Min(a => a.Timestamp)).TotalMilliseconds);
                if (record.Answers.Where(a => a.Completed).Select(a => a.Signature).Distinct().Count() > 1)
                {
                    conflicting.Add(job.JobId);
                }

                if (job.SentTwice && (record.Answers.Count < 2 || record.Answers.Any(a => a.Completed != record.Answers[0].Completed || a.Signature != record.Answers[0].Signature)))
                {
                    duplicatesWrong.Add(job.JobId);
                }

                if (job.Cancelled && record.Answers.Any(a => a.Failure == FailureKind.Cancelled))
                {
                    cancelledAnsweredCancelled++;
                }

                foreach (var failure in record.Answers.Where(a => a.Failure is { } k && !(job.Cancelled && k == FailureKind.Cancelled)))
                {
                    var key = failure.Failure!.Value.ToString();
                    unexpected[key] = unexpected.GetValueOrDefault(key) + 1;
                }

                for (var i = 1; i < record.Runs.Count; i++)
                {
                    var why = WhyAgain(record.Runs[i - 1].WorkerId, record.Runs[i].Timestamp, faults, cluster);
                    reexecuted[why]++;
                    if (why == "unexplained")
                    {
                        // Which workers ran it when (seconds from the batch start), to find the cause.
                        unexplained.Add($"{job.JobId} ({job.Kind}{(job.SentTwice ? ", sent twice" : "")}{(job.Cancelled ? ", cancelled" : "")}): " + string.Join(" -> ", record.Runs.Select(r => $"{r.WorkerId}@{Stopwatch.GetElapsedTime(batchStart, r.Timestamp).TotalSeconds:0.0}s")));
                    }
                }
            }
        }

        latencies.Sort();
        var recovery = FaultRecovery.From(faults.Injections, jobs, ledger, batchStart);
        var boots = ledger.Boots.GroupBy(b => b.Mode == BootMode.Restored ? "restored" : $"cold_boot ({b.FallbackReason?.Kind ?? "no snapshot"})")
            .ToDictionary(g => g.Key, g => g.Count());
        return new ChaosOutcome(
            jobs.Count,
            jobs.Count - lost.Count,
            lost,
            conflicting,
            reexecuted,
            unexplained,
            jobs.Count(j => cluster.Fenced.ContainsKey(j.JobId)),
            jobs.Count(j => j.SentTwice),
            duplicatesWrong,
            jobs.Count(j => j.Cancelled),
            cancelledAnsweredCancelled,
            unexpected,
            faults.PlannedKinds.ToDictionary(k => k.ToString(), k => faults.Injected.GetValueOrDefault(k)),
            faults.Skipped.ToDictionary(p => p.Key.ToString(), p => p.Value),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            boots,
            cluster.Workers.Sum(w => w.Starts) - cluster.Workers.Count,
            recovery,
            FaultRecovery.ByKind(recovery));
    }

    // A second run of a job is allowed when the worker running it was killed; during the Redis
    // outage jobs run without a lease (documented); anything else is a bug to look at.
    private static string WhyAgain(string previousWorker, long rerunAt, FaultInjector faults, ChaosCluster cluster)
    {
        if (cluster.Killed.ContainsKey(previousWorker))
        {
            return "after_worker_killed";
        }

        return faults.RedisOutage is { } outage && rerunAt >= outage.From && rerunAt <= outage.To + Stopwatch.Frequency * 5
            ? "during_redis_outage"
            : "unexplained";
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)], 1);
}
