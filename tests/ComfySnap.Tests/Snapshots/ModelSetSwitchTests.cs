using System.Globalization;
using System.Text.RegularExpressions;
using ComfySnap.Contracts;
using ComfySnap.Tests.Support;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Snapshots;

/// <summary>
/// Real RabbitMQ, Redis and CRIU: a `serve` worker restored from model set a's snapshot gets a job for
/// checkpoint b. With b's snapshot configured it hands its place to a copy restored from that snapshot,
/// which runs the job warm (answered once); without one it loads b itself and says why. Both report the
/// switch time for the same model, b (restore: need to consuming b's queue; load: the job's model load).
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class ModelSetSwitchTests(ModelSetSnapshotFixture fixture, ITestOutputHelper output) : IClassFixture<ModelSetSnapshotFixture>
{
    // Waits that are not the claim: restores and a 64x64 render on a loaded 2-vCPU machine.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task A_worker_that_must_switch_sets_is_replaced_by_a_copy_restored_from_the_sets_snapshot_and_the_job_is_answered_once()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, heartbeats: true);
        var workerId = bus.Settings["Bus:WorkerId"]!;
        await using var worker = await WorkerProcess.StartAsync(fixture.ServeSettings(bus.Settings, "a", "a", "b"), workerId, Generous);
        var setA = ModelSetSnapshotFixture.SetOf(ModelSetSnapshotFixture.CheckpointA);
        await bus.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == workerId && h.ModelSets?.Any(s => s.Key == setA.Key) == true, Generous);
        var firstPid = worker.RestoredPid;

        var jobId = bus.QueueName + "-b";
        await bus.SendAsync(new RunWorkflow(jobId, Workflow(ModelSetSnapshotFixture.CheckpointB), CachePolicy: CachePolicy.Bypass));
        var (timings, _) = await bus.Events.WaitAsync<JobTimings>(t => t.JobId == jobId, Generous);

        // Run warm by the copy restored from b's snapshot: nothing was loaded for it.
        var setB = ModelSetSnapshotFixture.SetOf(ModelSetSnapshotFixture.CheckpointB);
        Assert.Equal((setB.Key, ModelWarmth.Warm, 0.0, (string?)null), (timings.ModelSetKey, timings.Models, timings.ModelLoadMs, timings.SwitchFallback));
        Assert.Contains(worker.Output, l => l.Contains("Switched to model-set snapshot b", StringComparison.Ordinal));
        Assert.NotEqual(firstPid, worker.RestoredPid);
        // The copy was handed over while the old worker drained, so it serves under an id of its own (never two consumers under one id).
        await bus.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == workerId + "-s1" && h.ModelSets?.Any(s => s.Key == setB.Key) == true, Generous);
        Assert.Equal(workerId + "-s1", timings.WorkerId);

        // Answered once: one Completed, nothing failed, after the old worker's drain and the new one's run are both over.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Single(bus.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        Assert.DoesNotContain(bus.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
        foreach (var line in worker.Output.Where(l => HandOverLine().IsMatch(l)))
        {
            output.WriteLine(line); // where the switch's time went
        }

        var switchMs = Number(worker.Output, SwitchByRestore());
        output.WriteLine($"switch to b by restore: {switchMs:0} ms from needing b to consuming its queue");
        Assert.InRange(switchMs, 1, Generous.TotalMilliseconds);

        // Where it went: every milestone from the supervisor's park to the copy's consumer, in order, each no earlier than the one before.
        var phases = worker.Output.Select(l => SwitchPhases().Match(l)).First(m => m.Success).Groups[1].Value.Split(' ')
            .Select(p => p.Split('=')).Select(p => (Name: p[0], Ms: double.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
        output.WriteLine("phases (ms since needing b): " + string.Join(", ", phases.Select(p => $"{p.Name} {p.Ms:0}")));
        // Redis and the broker connect side by side: those two in either order.
        Assert.Equal(["parked", "told-ready", "config-handed", "booted", "host-started"], phases.Take(5).Select(p => p.Name));
        Assert.Equal(["bus-started", "cache-connected"], phases.Skip(5).Take(2).Select(p => p.Name).Order());
        Assert.Equal("consuming", phases[^1].Name);
        Assert.Equal(8, phases.Count);
        Assert.Equal(phases.Select(p => p.Ms).Order(), phases.Select(p => p.Ms));
        Assert.Equal(switchMs, phases[^1].Ms, 0.5);
    }

    [Fact]
    public async Task With_no_snapshot_for_the_set_the_worker_loads_it_and_says_why()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, heartbeats: true);
        var workerId = bus.Settings["Bus:WorkerId"]!;
        await using var worker = await WorkerProcess.StartAsync(fixture.ServeSettings(bus.Settings, "a", "a"), workerId, Generous);
        var firstPid = worker.RestoredPid;

        var jobId = bus.QueueName + "-b";
        await bus.SendAsync(new RunWorkflow(jobId, Workflow(ModelSetSnapshotFixture.CheckpointB), CachePolicy: CachePolicy.Bypass));
        var (timings, _) = await bus.Events.WaitAsync<JobTimings>(t => t.JobId == jobId, Generous);

        const string why = "no snapshot in Snapshot:ModelSets (a) preloads every model of checkpoints/" + ModelSetSnapshotFixture.CheckpointB;
        Assert.Equal((ModelWarmth.Loaded, why), (timings.Models, timings.SwitchFallback));
        Assert.Contains(worker.Output, l => l.Contains(why, StringComparison.Ordinal));
        Assert.Equal(firstPid, worker.RestoredPid);
        output.WriteLine($"switch to b by load: {timings.ModelLoadMs:0} ms loading b in the job");
        Assert.True(timings.ModelLoadMs > 0);
    }

    [Fact]
    public async Task A_set_whose_load_is_expected_to_cost_less_than_a_switch_is_loaded_beside_the_held_one_not_switched_to()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, heartbeats: true);
        var workerId = bus.Settings["Bus:WorkerId"]!;
        await using var worker = await WorkerProcess.StartAsync(fixture.ServeSettings(bus.Settings, "a", switchMinBytes: null, "a", "b"), workerId, Generous);
        var firstPid = worker.RestoredPid;

        var jobId = bus.QueueName + "-b";
        await bus.SendAsync(new RunWorkflow(jobId, Workflow(ModelSetSnapshotFixture.CheckpointB), CachePolicy: CachePolicy.Bypass));
        var (timings, _) = await bus.Events.WaitAsync<JobTimings>(t => t.JobId == jobId, Generous);

        // The cost model with its priors (1 GiB/s, 3 s per switch): 60 MB loads in ~0.1 s.
        Assert.Equal(ModelWarmth.Loaded, timings.Models);
        Assert.Matches(@"^load ~0\.\d s expected, switch ~3\.0 s: loading$", timings.SwitchFallback);
        Assert.Equal(firstPid, worker.RestoredPid);
    }

    [Fact]
    public async Task A_sigterm_during_the_hand_over_stops_both_processes_and_loses_or_repeats_no_job()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, heartbeats: true);
        var workerId = bus.Settings["Bus:WorkerId"]!;
        var setA = ModelSetSnapshotFixture.SetOf(ModelSetSnapshotFixture.CheckpointA);
        var jobs = new List<string>();
        int oldPid, copyPid;
        bool oldAliveAtTerm, copyAliveAtTerm;
        await using (var worker = await WorkerProcess.StartAsync(fixture.ServeSettings(bus.Settings, "a", "a", "b"), workerId, Generous))
        {
            await bus.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == workerId && h.ModelSets?.Any(s => s.Key == setA.Key) == true, Generous);
            oldPid = worker.RestoredPid!.Value;

            // b first (the idle worker asks to switch for it), then a mix it prefetches or leaves queued while it hands over.
            foreach (var (suffix, checkpoint) in new[] { ("b0", ModelSetSnapshotFixture.CheckpointB), ("a1", ModelSetSnapshotFixture.CheckpointA),
                         ("b1", ModelSetSnapshotFixture.CheckpointB), ("a2", ModelSetSnapshotFixture.CheckpointA), ("b2", ModelSetSnapshotFixture.CheckpointB) })
            {
                jobs.Add($"{bus.QueueName}-{suffix}");
                await bus.SendAsync(new RunWorkflow(jobs[^1], Workflow(checkpoint), CachePolicy: CachePolicy.Bypass));
            }

            // The overlap: the old worker was told READY and drains while the supervisor hands the parked copy its config.
            await WaitForLineAsync(worker, "by restore: the supervisor parked a copy");
            copyPid = (int)Number(worker.Output, ParkedPid());
            oldAliveAtTerm = IsAlive(oldPid);
            copyAliveAtTerm = IsAlive(copyPid);
            worker.Terminate();

            Assert.Equal(0, await worker.WaitForExitAsync(Generous));
            output.WriteLine($"SIGTERM with the old worker (pid {oldPid}) alive: {oldAliveAtTerm}, its copy (pid {copyPid}) alive: {copyAliveAtTerm}");
        }

        Assert.True(oldAliveAtTerm, "the old worker had exited before the SIGTERM: the test missed the overlap");
        Assert.True(copyAliveAtTerm);
        Assert.False(IsAlive(oldPid));
        Assert.False(IsAlive(copyPid));

        // Whatever was not answered is still queued (or forwarded): a fresh worker answers the rest, and nothing twice.
        await using (var drain = await WorkerProcess.StartAsync(fixture.ServeSettings(bus.Settings, "b", switchMinBytes: null), workerId + "-drain", Generous))
        {
            foreach (var jobId in jobs)
            {
                await bus.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, Generous);
            }

            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        foreach (var jobId in jobs)
        {
            Assert.Single(bus.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
            Assert.Single(bus.Events.All<JobTimings>(), t => t.JobId == jobId);
            Assert.DoesNotContain(bus.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
        }

        output.WriteLine("answered by: " + string.Join(", ", bus.Events.All<JobTimings>().Where(t => jobs.Contains(t.JobId)).Select(t => $"{t.JobId[^2..]} {t.WorkerId}")));
    }

    private static async Task WaitForLineAsync(WorkerProcess worker, string text)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!worker.Output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no line with '{text}' in {Generous}: {worker.Tail()}");
            Assert.False(worker.HasExited, worker.Tail());
            await Task.Delay(20);
        }
    }

    // Running and not a zombie (a restored copy is detached from the test's process tree).
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Workflow(string checkpoint)
    {
        var graph = System.Text.Json.Nodes.JsonNode.Parse(SnapshotRestoreTests.DefaultWorkflowAt64Pixels())!;
        graph["4"]!["inputs"]!["ckpt_name"] = checkpoint;
        return graph.ToJsonString();
    }

    private static double Number(IEnumerable<string> lines, Regex pattern) =>
        lines.Select(l => pattern.Match(l)).Where(m => m.Success).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).First();

    [GeneratedRegex(@"[Ss]witch|Parked|Restored snapshot|[Ss]top|Consuming|canary|handshake|ready", RegexOptions.None, 1000)]
    private static partial Regex HandOverLine();

    [GeneratedRegex(@"Parked a copy of model-set snapshot \S+ \(\S+\) as pid (\d+)")]
    private static partial Regex ParkedPid();

    [GeneratedRegex(@"consuming its queue (\d+) ms after")]
    private static partial Regex SwitchByRestore();

    [GeneratedRegex(@"\(phases ([a-z-]+=\d+(?: [a-z-]+=\d+)*)\)")]
    private static partial Regex SwitchPhases();
}
