using System.Collections.Concurrent;
using System.Diagnostics;
using Spectre.Console;

namespace ComfySnap.Chaos;

/// <summary>Carries out the fault plan against the cluster, on the batch's clock; remembers what it injected and when.</summary>
public sealed class FaultInjector(ChaosCluster cluster, IReadOnlyList<Fault> plan)
{
    private readonly ConcurrentBag<Task> _running = [];

    public ConcurrentDictionary<FaultKind, int> Injected { get; } = new();

    public ConcurrentDictionary<FaultKind, int> Skipped { get; } = new();

    /// <summary>When Redis was stopped and started again (Stopwatch timestamps).</summary>
    public (long From, long To)? RedisOutage { get; private set; }

    /// <summary>When the last fault ended (Stopwatch timestamp).</summary>
    public long LastFaultEnded { get; private set; }

    public async Task RunAsync(long batchStart, CancellationToken ct)
    {
        foreach (var fault in plan)
        {
            var wait = fault.At - Stopwatch.GetElapsedTime(batchStart);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            _running.Add(InjectAsync(fault, ct));
        }

        await Task.WhenAll(_running);
        LastFaultEnded = Stopwatch.GetTimestamp();
    }

    private async Task InjectAsync(Fault fault, CancellationToken ct)
    {
        var outcome = fault.Kind switch
        {
            FaultKind.KillWorker => KillOne(fault.Slot),
            FaultKind.StopWorker => await FreezeOneAsync(fault, ct),
            FaultKind.RestartRabbitMq => await RestartRabbitMqAsync(ct),
            FaultKind.StopRedis => await StopRedisAsync(fault.Duration, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
        (outcome is null ? Skipped : Injected).AddOrUpdate(fault.Kind, 1, (_, n) => n + 1);
        AnsiConsole.MarkupLineInterpolated($"[grey]{fault}: {outcome ?? "skipped (no ready worker)"}[/]");
    }

    // The planned slot, or the next ready one when it is still restarting.
    private string? KillOne(int slot)
    {
        for (var i = 0; i < cluster.Workers.Count; i++)
        {
            var worker = cluster.Workers[(slot + i) % cluster.Workers.Count];
            if (worker.IsReady && worker.Kill() is { } killed)
            {
                return $"SIGKILL {killed}";
            }
        }

        return null;
    }

    private async Task<string?> FreezeOneAsync(Fault fault, CancellationToken ct)
    {
        for (var i = 0; i < cluster.Workers.Count; i++)
        {
            var worker = cluster.Workers[(fault.Slot + i) % cluster.Workers.Count];
            if (worker.IsReady && await worker.FreezeAsync(fault.Duration, ct) is { } frozen)
            {
                return $"SIGSTOP then SIGCONT {frozen}";
            }
        }

        return null;
    }

    private async Task<string?> RestartRabbitMqAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await cluster.Services.RestartRabbitMqAsync(ct);
        return $"RabbitMQ back after {watch.Elapsed.TotalSeconds:0.0}s";
    }

    private async Task<string?> StopRedisAsync(TimeSpan duration, CancellationToken ct)
    {
        var from = Stopwatch.GetTimestamp();
        await cluster.Services.StopRedisAsync(ct);
        await Task.Delay(duration, ct);
        await cluster.Services.StartRedisAsync(ct);
        RedisOutage = (from, Stopwatch.GetTimestamp());
        return "Redis stopped and started";
    }
}
