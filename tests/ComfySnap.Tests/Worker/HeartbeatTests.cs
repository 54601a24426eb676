using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Worker;

/// <summary>WorkerHeartbeat over the real RabbitMQ: periodic, with boot mode, job counts and uptime.</summary>
[Trait("Category", "Integration")]
public sealed class HeartbeatTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_ready_worker_beats_every_interval_and_counts_its_jobs()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Bus:HeartbeatInterval"] = "00:00:00.200" }, heartbeats: true);
        var id = worker.Booted!.WorkerId;
        await worker.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == id, Timeout);

        await worker.SendAsync(new RunWorkflow("beat-job", EngineHarness.Workflow("image-ops.json"), CachePolicy: CachePolicy.Bypass));
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("beat-job", Timeout));
        var after = (await worker.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == id && h.JobsDone == 1, Timeout)).Message;

        Assert.Equal(BootMode.ColdBoot, after.Mode);
        Assert.Equal(0, after.JobsRunning);
        Assert.Equal(200, after.IntervalMs);
        await worker.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == id && h.UptimeMs > after.UptimeMs, Timeout); // one more: at least three in all
        var beats = worker.Events.All<WorkerHeartbeat>().Where(h => h.WorkerId == id).OrderBy(h => h.SentAt).ToList();
        Assert.True(beats.Count >= 3, $"{beats.Count} heartbeats");
        Assert.Equal(0, beats[0].JobsDone);
        Assert.True(beats.Zip(beats.Skip(1)).All(p => p.Second.UptimeMs > p.First.UptimeMs));
        // Periodic, not one per event: the gaps are about the interval (generous for a loaded 2-core machine).
        var gaps = beats.Zip(beats.Skip(1)).Select(p => (p.Second.SentAt - p.First.SentAt).TotalMilliseconds).Order().ToList();
        Assert.InRange(gaps[gaps.Count / 2], 150, 1500);
    }

    [Fact]
    public async Task An_interval_of_zero_sends_no_heartbeat()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Bus:HeartbeatInterval"] = "00:00:00" }, heartbeats: true);
        await worker.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == worker.Booted!.WorkerId, Timeout);
        await Task.Delay(1000);

        Assert.DoesNotContain(worker.Events.All<WorkerHeartbeat>(), h => h.WorkerId == worker.Booted!.WorkerId);
    }
}
