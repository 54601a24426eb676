using System.Runtime.InteropServices;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Cli;

/// <summary>
/// Stays in front of a restored worker: copies its stdout/stderr to ours (the container's log),
/// forwards SIGTERM/SIGINT so it can finish or hand back its job, and ends when it ends. With
/// standby copies (Snapshot:Standby) a worker that dies unasked is replaced by a parked copy
/// (handshake only), or by a fresh restore when none is current, and the standby is refilled.
/// A worker that must change model sets asks on its stdout for a copy of that set's snapshot
/// (<see cref="SwitchProtocol"/>): it is parked here first and, as soon as the asking worker was told
/// to go, handed the runtime config under a worker id of its own while the old worker drains: the old
/// worker's stop is off the switch's critical path (docs/routing.md, "Switch by restore").
/// </summary>
internal static class RestoredSupervisor
{
    public static async Task<int> RunAsync(
        RestoredProcess first, SnapshotRestorer restorer, StandbyPool standby, ResumeConfig config, string? modelSetDirectory, ILogger logger,
        CancellationToken cancellationToken)
    {
        await using var pool = standby;
        var active = first;
        RestoredProcess? successor = null; // a switch's copy, handed over while `active` drains
        var switchCount = 0;
        Task? activeOutput = null; // the active worker's output copy, when it started at a hand-over
        var activeConfig = config; // the id the active worker runs under: a replacement after an unasked death keeps it
        var stopping = false;
        var switches = new SwitchSlot(restorer, modelSetDirectory, logger);
        string? currentSet = null; // the model-set snapshot the active worker came from (null: Snapshot:Directory's)
        void Forward(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping = true;
            foreach (var worker in new[] { active, successor }.OfType<RestoredProcess>())
            {
                if (!PosixSignals.TrySend(worker.HostPid, context.Signal == PosixSignal.SIGINT ? PosixSignals.SigInt : PosixSignals.SigTerm, out var errno))
                {
                    Console.Error.WriteLine($"could not forward {context.Signal} to restored worker {worker.HostPid} (errno {errno})");
                }
            }
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        var refill = pool.FillAsync(cancellationToken);
        try
        {
            while (true)
            {
                var handedOver = false;
                Task? successorOutput = null;
                await using (active)
                {
                    var output = activeOutput ?? CopyOutput(active, switches, cancellationToken);
                    var exited = active.WaitForExitAsync(cancellationToken);
                    await Task.WhenAny(exited, switches.Released);
                    if (!exited.IsCompleted && !stopping && switches.TakeParked() is { } parked)
                    {
                        // The asking worker was told to go: hand the copy over now, under an id of its own (two
                        // processes never consume under one id), while the old one finishes its job and exits.
                        handedOver = true;
                        switchCount++;
                        successor = await switches.HandOverAsync(parked, Successor(config, switchCount), cancellationToken);
                        currentSet = successor is null ? currentSet : parked.Request.Name;
                        activeConfig = Successor(config, switchCount);
                        // Copied from now on: a copy whose pipe filled up during a long drain would stall.
                        successorOutput = successor is null ? null : CopyOutput(successor, switches, cancellationToken);
                    }

                    await exited;
                    await Task.WhenAny(output, Task.Delay(2000, CancellationToken.None));
                }

                await refill;
                if (stopping || cancellationToken.IsCancellationRequested)
                {
                    if (successor is not null)
                    {
                        // Told to stop during the hand-over: a signal that came before the copy was ours did not reach it.
                        PosixSignals.TrySend(successor.HostPid, PosixSignals.SigTerm, out _);
                        await using (successor)
                        {
                            await successor.WaitForExitAsync(CancellationToken.None);
                            await Task.WhenAny(successorOutput ?? Task.CompletedTask, Task.Delay(2000, CancellationToken.None));
                        }
                    }

                    return 0;
                }

                RestoredProcess? next;
                activeOutput = null;
                if (handedOver)
                {
                    next = successor;
                    activeOutput = successorOutput;
                    successor = null;
                }
                else if (switches.TakeParked() is { } parked)
                {
                    // Parked, but the worker exited before it could be handed over: the copy takes its place now.
                    switchCount++;
                    activeConfig = Successor(config, switchCount);
                    next = await switches.HandOverAsync(parked, activeConfig, cancellationToken);
                    currentSet = next is null ? currentSet : parked.Request.Name;
                }
                else
                {
                    logger.LogWarning("Restored worker pid {HostPid} ended unasked; replacing it", active.HostPid);
                    next = await ReplaceAsync(restorer, pool, activeConfig, currentSet is null ? null : Path.Combine(modelSetDirectory!, currentSet), logger, cancellationToken);
                }

                if (next is null)
                {
                    return 1;
                }

                active = next;
                refill = pool.FillAsync(cancellationToken);
            }
        }
        finally
        {
            await switches.DisposeAsync();
        }
    }

    // Everything the worker writes goes on to ours (switch requests on stdout are answered instead).
    private static Task CopyOutput(RestoredProcess worker, SwitchSlot switches, CancellationToken cancellationToken) =>
        Task.WhenAll(PumpAsync(worker, switches, cancellationToken), worker.StandardError.BaseStream.CopyToAsync(Console.OpenStandardError(), CancellationToken.None));

    // The worker's stdout, line by line: switch requests are answered, everything else goes to our stdout.
    private static async Task PumpAsync(RestoredProcess worker, SwitchSlot switches, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        try
        {
            while (await worker.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (SwitchProtocol.ParseRequest(line) is { } request)
                {
                    var answer = await switches.ParkAsync(request, cancellationToken);
                    await worker.StandardInput.WriteLineAsync(answer.AsMemory(), cancellationToken);
                    await worker.StandardInput.FlushAsync(cancellationToken);
                    switches.MarkAnswered();
                    continue;
                }

                await output.WriteLineAsync(line.AsMemory(), CancellationToken.None);
                await output.FlushAsync(CancellationToken.None);
            }
        }
        catch (IOException)
        {
            // The worker is gone: its exit is handled by the caller.
        }
    }

    // The n-th switch's copy runs under an id of its own: its old worker may still be draining under the first.
    private static ResumeConfig Successor(ResumeConfig config, int switchCount)
    {
        var workerId = $"{config.WorkerId}-s{switchCount}";
        return config with { WorkerId = workerId, Settings = new Dictionary<string, string?>(config.Settings) { ["Bus:WorkerId"] = workerId } };
    }

    private static async Task<RestoredProcess?> ReplaceAsync(
        SnapshotRestorer restorer, StandbyPool pool, ResumeConfig config, string? setDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        // A worker that came from a model set's snapshot is replaced from that snapshot (the standby copies are of Snapshot:Directory's).
        RestoreOutcome outcome;
        if (setDirectory is not null)
        {
            var (parked, failure) = await restorer.ParkAsync(setDirectory, cancellationToken);
            outcome = parked is null ? failure! : await restorer.HandshakeAsync(parked, config, cancellationToken);
        }
        else
        {
            outcome = await pool.TakeAsync(cancellationToken) is { } standby
                ? await restorer.HandshakeAsync(standby, config, cancellationToken)
                : await restorer.RestoreAsync(config, cancellationToken);
        }

        if (!outcome.Restored)
        {
            logger.LogError("Could not replace the restored worker: {FallbackKind}: {FallbackMessage}", outcome.Fallback!.Kind, outcome.Fallback.Message);
            return null;
        }

        logger.LogInformation("Replacement worker pid {HostPid} ready in {HandshakeMs:0} ms", outcome.Process!.HostPid,
            outcome.Phases.FirstOrDefault(p => p.Name == "handshake")?.Milliseconds ?? 0);
        return outcome.Process;
    }
}
