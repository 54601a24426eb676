using System.Collections.Concurrent;
using System.Diagnostics;
using Spectre.Console;

namespace ComfySnap.Chaos;

/// <summary>One fault as it happened: its kind, when it hit (Stopwatch timestamp) and what was done.</summary>
public sealed record Injection(FaultKind Kind, long At, string Description);

/// <summary>Carries out the fault plan against the cluster, on the batch's clock; remembers what it injected and when.</summary>
public sealed class FaultInjector(ChaosCluster cluster, IReadOnlyList<Fault> plan, string queue)
{
    private static readonly TimeSpan ReadyWorkerBound = TimeSpan.FromSeconds(60);
    private readonly ConcurrentBag<Task> _running = [];
    private readonly ClusterFaults? _clusterFaults = cluster.Nodes is null ? null : new ClusterFaults(cluster, queue);

    public ConcurrentDictionary<FaultKind, int> Injected { get; } = new();

    public ConcurrentDictionary<FaultKind, int> Skipped { get; } = new();

    /// <summary>Every fault that hit, in the order it hit.</summary>
    public ConcurrentQueue<Injection> Injections { get; } = new();

    /// <summary>The kinds of fault this run's plan holds (each must hit at least once).</summary>
    public IReadOnlyList<FaultKind> PlannedKinds { get; } = [.. plan.Select(f => f.Kind).Distinct().Order()];

    /// <summary>When Redis was stopped and started again (Stopwatch timestamps).</summary>
    public (long From, long To)? RedisOutage { get; private set; }

    /// <summary>When the last fault ended (Stopwatch timestamp).</summary>
    public long LastFaultEnded { get; private set; }

    /// <summary>What the faults need to know before the batch (on the cluster: the work queue's leader).</summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        if (_clusterFaults is not null)
        {
            await _clusterFaults.PrepareAsync(ct);
        }
    }

    public async Task RunAsync(long batchStart, CancellationToken ct)
    {
        foreach (var fault in plan)
        {
            var wait = fault.At - Stopwatch.GetElapsedTime(batchStart);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            _running.Add(InjectAsync(fault, batchStart, ct));
        }

        await Task.WhenAll(_running);
        LastFaultEnded = Stopwatch.GetTimestamp();
    }

    private async Task InjectAsync(Fault fault, long batchStart, CancellationToken ct)
    {
        string? outcome;
        try
        {
            outcome = fault.Kind switch
            {
                FaultKind.KillWorker => KillOne(fault),
                FaultKind.StopWorker => await FreezeOneAsync(fault, ct),
                FaultKind.RestartRabbitMq => await RestartRabbitMqAsync(ct),
                FaultKind.StopRedis => await StopRedisAsync(fault.Duration, ct),
                _ => await Cluster(fault).InjectAsync(fault, Hit, ct),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // A fault the services would not take (a script failed): shown, and counted as skipped.
            outcome = null;
            AnsiConsole.MarkupLineInterpolated($"[yellow]{fault}: {e.Message}[/]");
        }

        (outcome is null ? Skipped : Injected).AddOrUpdate(fault.Kind, 1, (_, n) => n + 1);
        AnsiConsole.MarkupLineInterpolated($"[grey]{Stopwatch.GetElapsedTime(batchStart).TotalSeconds,6:0.0}s {fault.Kind}: {outcome ?? "skipped"}[/]");
    }

    private ClusterFaults Cluster(Fault fault) =>
        _clusterFaults ?? throw new InvalidOperationException($"{fault.Kind} needs the cluster (./comfysnap chaos --cluster)");

    // Marks the moment a fault hits; recovery times are measured from it.
    private void Hit(FaultKind kind, string description) => Injections.Enqueue(new Injection(kind, Stopwatch.GetTimestamp(), description));

    // The planned slot, or the next ready one when it is still restarting.
    private string? KillOne(Fault fault)
    {
        for (var i = 0; i < cluster.Workers.Count; i++)
        {
            var worker = cluster.Workers[(fault.Slot + i) % cluster.Workers.Count];
            if (worker.IsReady && worker.Kill() is { } killed)
            {
                Hit(fault.Kind, killed);
                return $"SIGKILL {killed}";
            }
        }

        return null;
    }

    // The planned slot, or the next ready one; the freeze happens once per run, so when every
    // worker is restarting (a kill just hit, a loaded machine) it waits for one a while.
    private async Task<string?> FreezeOneAsync(Fault fault, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < ReadyWorkerBound)
        {
            for (var i = 0; i < cluster.Workers.Count; i++)
            {
                var worker = cluster.Workers[(fault.Slot + i) % cluster.Workers.Count];
                if (worker.IsReady && await worker.FreezeAsync(fault.Duration, () => Hit(fault.Kind, $"worker slot {fault.Slot}"), ct) is { } frozen)
                {
                    return $"SIGSTOP then SIGCONT {frozen}";
                }
            }

            await Task.Delay(500, ct);
        }

        return null;
    }

    private async Task<string?> RestartRabbitMqAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        Hit(FaultKind.RestartRabbitMq, "stop");
        await cluster.Pair!.RestartRabbitMqAsync(ct);
        return $"RabbitMQ back after {watch.Elapsed.TotalSeconds:0.0}s";
    }

    private async Task<string?> StopRedisAsync(TimeSpan duration, CancellationToken ct)
    {
        var from = Stopwatch.GetTimestamp();
        Hit(FaultKind.StopRedis, "stop");
        await cluster.Pair!.StopRedisAsync(ct);
        await Task.Delay(duration, ct);
        await cluster.Pair.StartRedisAsync(ct);
        RedisOutage = (from, Stopwatch.GetTimestamp());
        return "Redis stopped and started";
    }
}
