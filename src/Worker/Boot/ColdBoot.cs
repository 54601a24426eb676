using ComfySnap.Engine;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// The cold-boot sequence every entry point shares (serve, run-workflow, tests, benchmarks):
/// pick the device, then the engine phases. Snapshot preparation masks the device instead.
/// </summary>
public sealed class ColdBoot(DeviceService device, EngineBoot engine)
{
    public async Task RunAsync(PhaseTimer timer, CancellationToken cancellationToken)
    {
        await timer.RunAsync("device init", () => Task.FromResult(device.Initialize()), d => d).ConfigureAwait(false);
        await engine.RunAsync(timer, cancellationToken).ConfigureAwait(false);
    }
}
