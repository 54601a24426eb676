using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.TestSupport;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Fuzz;

/// <summary>
/// Issue 12: 500 mutated workflows over the real RabbitMQ to a real worker (the worker host the
/// other bus tests use, with Redis): each answered once with WorkflowCompleted or a WorkflowFailed
/// of a specific kind, nothing dead-lettered, and the worker still answers a valid job afterwards.
/// Replay with COMFYSNAP_FUZZ_SEED=&lt;the printed seed&gt;.
/// </summary>
[Collection(nameof(FuzzCollection))]
[Trait("Category", "Integration")]
public sealed class BusWorkflowFuzzTests(ITestOutputHelper output)
{
    private const int Count = 500;

    /// <summary>Exception types a node may fail with on purpose (WorkflowFailed's node error details carry the type name).</summary>
    private static readonly HashSet<string> NamedNodeFailures =
    [
        "ArgumentException", "InvalidOperationException", "InvalidDataException", "NotSupportedException", "FileNotFoundException",
        "FormatException", "IOException", "LimitExceededException",
    ];

    [Fact]
    public async Task Five_hundred_mutated_workflows_over_the_bus_are_each_answered_specifically_and_the_worker_goes_on()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?>(FuzzRun.SmallLimits)
        {
            // Every mutant is a warning or two; at Warning they were thousands of lines of the CI log.
            ["Serilog:MinimumLevel:Default"] = "Error",
        });
        FuzzFiles.WriteTo(worker.Root);
        var run = FuzzRun.Create(worker.Services);
        output.WriteLine($"fuzz seed {run.Seed} (replay: COMFYSNAP_FUZZ_SEED={run.Seed})");

        var clock = Stopwatch.StartNew();
        var jobs = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            // Offset from the in-process test's indices, so the two tests cover different mutants.
            var job = new RunWorkflow($"fuzz-{run.Seed}-{i}", run.Workflow(20_000 + i), CachePolicy: i % 2 == 0 ? CachePolicy.Use : CachePolicy.Bypass,
                Deadline: DateTimeOffset.UtcNow.AddMinutes(2));
            jobs[job.JobId] = job.Workflow;
            await worker.SendAsync(job);
        }

        var answers = await WaitForAnswersAsync(worker.Events, jobs.Keys, TimeSpan.FromSeconds(90));
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var findings = new List<string>();
        foreach (var (jobId, workflow) in jobs)
        {
            var key = answers.GetValueOrDefault(jobId) switch
            {
                null => "unanswered",
                WorkflowCompleted => "completed",
                WorkflowFailed f => Describe(f),
                var other => "unexpected " + other.GetType().Name,
            };
            counts[key] = counts.GetValueOrDefault(key) + 1;
            if ((key.StartsWith("FINDING", StringComparison.Ordinal) || key is "unanswered") && findings.Count < 20)
            {
                findings.Add($"{jobId} {key}: {FuzzOutcome.Shorten(workflow)}");
            }
        }

        foreach (var (key, n) in counts.OrderByDescending(c => c.Value))
        {
            output.WriteLine($"{n,5}  {key}");
        }

        output.WriteLine($"{Count} jobs answered in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(findings.Count == 0, $"seed {run.Seed}: {findings.Count} finding(s)\n" + string.Join("\n", findings));
        var answerCount = worker.Events.All<WorkflowCompleted>().Count(c => jobs.ContainsKey(c.JobId)) + worker.Events.All<WorkflowFailed>().Count(f => jobs.ContainsKey(f.JobId));
        Assert.Equal(Count, answerCount); // one answer each
        Assert.True(counts.GetValueOrDefault("completed") >= Count / 20, "too few mutants ran: " + string.Join(", ", counts));

        // The worker is still consuming, and nothing went to the error queue.
        var valid = new RunWorkflow($"fuzz-{run.Seed}-after", """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""");
        await worker.SendAsync(valid);
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(valid.JobId, TimeSpan.FromSeconds(30)));
        Assert.Equal(0u, await ErrorQueueDepthAsync(worker.QueueName));
    }

    private static string Describe(WorkflowFailed failed)
    {
        if (string.IsNullOrWhiteSpace(failed.Message) || failed.Kind is FailureKind.Internal or FailureKind.Timeout or FailureKind.Cancelled)
        {
            return $"FINDING {failed.Kind}: {failed.Message}";
        }

        if (failed.Kind == FailureKind.NodeError)
        {
            var cause = failed.NodeErrors.Values.SelectMany(n => n.Errors).Select(e => e.Details).FirstOrDefault() ?? "";
            return NamedNodeFailures.Contains(cause) ? $"{failed.Kind} ({cause})" : $"FINDING NodeError ({cause}): {failed.Message}";
        }

        var type = failed.NodeErrors.Values.SelectMany(n => n.Errors).Select(e => e.Type).FirstOrDefault();
        return type is null ? failed.Kind.ToString() : $"{failed.Kind} ({type})";
    }

    private static async Task<Dictionary<string, object>> WaitForAnswersAsync(EventCollector events, IEnumerable<string> jobIds, TimeSpan timeout)
    {
        var wanted = jobIds.ToHashSet(StringComparer.Ordinal);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var answers = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var c in events.All<WorkflowCompleted>().Where(c => wanted.Contains(c.JobId)))
            {
                answers[c.JobId] = c;
            }

            foreach (var f in events.All<WorkflowFailed>().Where(f => wanted.Contains(f.JobId)))
            {
                answers[f.JobId] = f;
            }

            if (answers.Count == wanted.Count || deadline.Elapsed > timeout)
            {
                return answers;
            }

            await Task.Delay(200);
        }
    }

    private static async Task<uint> ErrorQueueDepthAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue + "_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // never declared: nothing was dead-lettered
        }
    }
}
