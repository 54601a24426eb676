using System.Diagnostics;

namespace ComfySnap.Chaos;

/// <summary>
/// Sends the batch evenly over the send window; a job planned twice gets a second send 0-3 s later,
/// a job planned cancelled gets a CancelWorkflow 0-2 s after its send.
/// </summary>
public sealed class BatchSender(ChaosClient client, Ledger ledger, IReadOnlyList<PlannedJob> jobs, ChaosSettings settings)
{
    public async Task RunAsync(long batchStart, CancellationToken ct)
    {
        var random = new Random(settings.Seed ^ 0x0b47c4);
        var extras = new List<Task>();
        var interval = settings.SendWindow / jobs.Count;
        for (var i = 0; i < jobs.Count; i++)
        {
            var due = interval * i - Stopwatch.GetElapsedTime(batchStart);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, ct);
            }

            var job = jobs[i];
            ledger.Sent(job.JobId);
            await client.SendAsync(job.Message, ct);
            if (job.SentTwice)
            {
                extras.Add(Later(TimeSpan.FromSeconds(random.NextDouble() * 3), async () =>
                {
                    ledger.Sent(job.JobId);
                    await client.SendAsync(job.Message, ct);
                }, ct));
            }

            if (job.Cancelled)
            {
                extras.Add(Later(TimeSpan.FromSeconds(random.NextDouble() * 2), () => client.CancelAsync(job.JobId, ct), ct));
            }
        }

        await Task.WhenAll(extras);
    }

    private static async Task Later(TimeSpan delay, Func<Task> action, CancellationToken ct)
    {
        await Task.Delay(delay, ct);
        await action();
    }
}
