using ComfySnap.Contracts;
using ComfySnap.Snapshots;

namespace ComfySnap.Tests.Snapshots;

/// <summary>
/// A restored worker is not its supervisor's child (criu detaches it): when `serve` is killed
/// outright, the restored copy must not go on consuming jobs unsupervised. It watches `serve` and
/// stops as on SIGTERM.
/// </summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SupervisorDeathTests(SnapshotFixture fixture)
{
    // Waits that are not the claim: a restore on a loaded 2-vCPU machine.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_restored_worker_stops_when_its_serve_supervisor_is_killed_outright()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        var workerId = bus.Settings["Bus:WorkerId"]!;
        var settings = fixture.ServeSettings(bus.Settings);
        await using var worker = await WorkerProcess.StartAsync(settings, workerId, Generous);
        var (booted, _) = await bus.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == workerId, Generous);
        Assert.True(booted.Mode == BootMode.Restored, $"expected a restore, got {booted.Mode}: {booted.FallbackReason?.Kind} {booted.FallbackReason?.Message}");
        var restored = Assert.IsType<int>(worker.RestoredPid);
        Assert.True(ProcFs.IsAlive(restored));

        Assert.True(PosixSignals.TrySend(worker.Pid, PosixSignals.SigKill, out var errno), $"kill serve: errno {errno}");

        // Watched every second; the graceful stop of an idle worker takes a few more.
        using var gone = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await ProcFs.WaitForExitAsync(restored, gone.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"restored worker {restored} still runs 60 s after its supervisor {worker.Pid} was killed");
        }
    }
}
