using System.Diagnostics;

namespace ComfySnap.Chaos;

/// <summary>
/// How long the fleet needed to answer again after one fault: until any job completed after it hit
/// (<see cref="AnsweredAgainS"/>), and until the first job sent after it hit was answered
/// (<see cref="SentAfterAnsweredS"/>: the whole path, queue and a worker, through the failure).
/// </summary>
public sealed record FaultRecovery(string Kind, double AtS, string Target, double? AnsweredAgainS, double? SentAfterAnsweredS)
{
    public static IReadOnlyList<FaultRecovery> From(IEnumerable<Injection> injections, IReadOnlyList<PlannedJob> jobs, Ledger ledger, long batchStart)
    {
        var completions = new List<long>();
        var firstSendAndAnswer = new List<(long Sent, long? Answered)>();
        foreach (var job in jobs)
        {
            if (ledger.Get(job.JobId) is not { } record)
            {
                continue;
            }

            lock (record)
            {
                completions.AddRange(record.Answers.Where(a => a.Completed).Select(a => a.Timestamp));
                if (record.Sends.Count > 0)
                {
                    firstSendAndAnswer.Add((record.Sends[0], record.Answers.Count > 0 ? record.Answers.Min(a => a.Timestamp) : null));
                }
            }
        }

        completions.Sort();
        firstSendAndAnswer.Sort((a, b) => a.Sent.CompareTo(b.Sent));
        return [.. injections.OrderBy(i => i.At).Select(i => new FaultRecovery(
            i.Kind.ToString(),
            Seconds(batchStart, i.At),
            i.Description,
            completions.FirstOrDefault(t => t > i.At) is var done and > 0 ? Seconds(i.At, done) : null,
            firstSendAndAnswer.FirstOrDefault(s => s.Sent > i.At) is { Sent: > 0, Answered: { } answered } ? Seconds(i.At, answered) : null))];
    }

    /// <summary>Per kind: how many, and the median and worst of both measures.</summary>
    public static IReadOnlyDictionary<string, RecoverySummary> ByKind(IReadOnlyList<FaultRecovery> recoveries) =>
        recoveries.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => new RecoverySummary(
            g.Count(),
            Median(g.Select(r => r.AnsweredAgainS)), Max(g.Select(r => r.AnsweredAgainS)),
            Median(g.Select(r => r.SentAfterAnsweredS)), Max(g.Select(r => r.SentAfterAnsweredS))));

    private static double Seconds(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalSeconds, 2);

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        return sorted.Count == 0 ? null : sorted[(sorted.Count - 1) / 2];
    }

    private static double? Max(IEnumerable<double?> values) => values.OfType<double>().DefaultIfEmpty(double.NaN).Max() is var m && !double.IsNaN(m) ? m : null;
}

/// <summary>One kind of fault's recovery times (seconds): count, median and worst of each measure.</summary>
public sealed record RecoverySummary(int Count, double? AnsweredAgainP50S, double? AnsweredAgainMaxS, double? SentAfterAnsweredP50S, double? SentAfterAnsweredMaxS);
