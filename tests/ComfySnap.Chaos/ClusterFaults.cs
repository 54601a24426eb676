using System.Diagnostics;
using ComfySnap.TestSupport;

namespace ComfySnap.Chaos;

/// <summary>
/// The cluster's own faults: the work queue's leader killed, a broker node frozen past the
/// heartbeat, the Redis primary killed, a worker cut off from its node. Broker node faults run one
/// at a time (two nodes down of three stop the cluster under pause_minority), each ending only once
/// its node answers again.
/// </summary>
public sealed class ClusterFaults(ChaosCluster cluster, string queue)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(60);
    private readonly Lock _lock = new();
    private Task _lastBrokerNodeFault = Task.CompletedTask;

    // rabbitmqctl boots an Erlang VM per call (seconds, tens of seconds on a loaded machine): the
    // leader is looked up before the batch and after each broker node fault, the only times it moves.
    private int? _leader;

    /// <summary>Finds the work queue's leader before the batch starts.</summary>
    public async Task PrepareAsync(CancellationToken ct) => _leader = await Nodes.QueueLeaderAsync(queue, ct);

    private ClusterServices Nodes => cluster.Nodes!;

    /// <summary>Injects <paramref name="fault"/>; <paramref name="hit"/> marks when it hit. Null when skipped.</summary>
    public Task<string?> InjectAsync(Fault fault, Action<FaultKind, string> hit, CancellationToken ct) => fault.Kind switch
    {
        FaultKind.KillQueueLeader => OneBrokerNodeAtATime(() => KillQueueLeaderAsync(fault, hit, ct)),
        FaultKind.StopBrokerNode => OneBrokerNodeAtATime(() => FreezeBusiestNodeAsync(fault, hit, ct)),
        FaultKind.KillRedisPrimary => KillRedisPrimaryAsync(hit, ct),
        FaultKind.CutWorkerFromNode => CutWorkerAsync(fault, hit, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    private async Task<string?> KillQueueLeaderAsync(Fault fault, Action<FaultKind, string> hit, CancellationToken ct)
    {
        if (_leader is not { } leader)
        {
            return null;
        }

        var clock = Stopwatch.StartNew();
        await Nodes.KillRabbitMqNodeAsync(leader, ct);
        hit(fault.Kind, $"node {leader}");
        await Task.Delay(fault.Duration, ct);
        await BringBackAsync(leader, ct);
        var backAfter = clock.Elapsed;
        _leader = await Nodes.QueueLeaderAsync(queue, ct);
        return $"SIGKILL of node {leader}, leader of the work queue; node back after {backAfter.TotalSeconds:0.0}s; leader now node {_leader?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";
    }

    // The node most workers are connected to (their forwarders say), so the freeze hits the fleet.
    private async Task<string?> FreezeBusiestNodeAsync(Fault fault, Action<FaultKind, string> hit, CancellationToken ct)
    {
        var node = Enumerable.Range(1, Nodes.AmqpPorts.Count).MaxBy(n => cluster.Forwarders.Sum(slot => slot[n - 1].OpenConnections));
        var clock = Stopwatch.StartNew();
        await Nodes.FreezeRabbitMqNodeAsync(node, ct);
        hit(fault.Kind, $"node {node}");
        try
        {
            await Task.Delay(fault.Duration, ct);
        }
        finally
        {
            await Nodes.ThawRabbitMqNodeAsync(node, CancellationToken.None);
        }

        await BringBackAsync(node, ct); // already running: waits until it answers
        var backAfter = clock.Elapsed;
        _leader = await Nodes.QueueLeaderAsync(queue, ct);
        return $"SIGSTOP of node {node} for {fault.Duration.TotalSeconds:0}s, then SIGCONT; answering again after {backAfter.TotalSeconds:0.0}s; leader now node {_leader?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";
    }

    // Until the node answers: on a loaded machine a killed node's boot can take longer than one
    // wait of the script (90 s), and the next node fault must not start while this node is down.
    private async Task BringBackAsync(int node, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Nodes.StartRabbitMqNodeAsync(node, ct);
                return;
            }
            catch (InvalidOperationException e) when (attempt < 4)
            {
                Spectre.Console.AnsiConsole.MarkupLineInterpolated($"[yellow]node {node} not answering yet (attempt {attempt}): {e.Message.Split('\n')[0]}[/]");
            }
        }
    }

    // Each broker node fault starts once the one before it has ended (its node answering again).
    private Task<string?> OneBrokerNodeAtATime(Func<Task<string?>> fault)
    {
        lock (_lock)
        {
            var next = AfterAsync(_lastBrokerNodeFault, fault);
            _lastBrokerNodeFault = next;
            return next;
        }
    }

    private static async Task<string?> AfterAsync(Task previous, Func<Task<string?>> fault)
    {
        await Task.WhenAny(previous); // its failure is its own: reported where it ran
        return await fault();
    }

    private async Task<string?> KillRedisPrimaryAsync(Action<FaultKind, string> hit, CancellationToken ct)
    {
        if (await Nodes.RedisPrimaryPortAsync(ct) is not { } primary)
        {
            return null;
        }

        var clock = Stopwatch.StartNew();
        await Nodes.KillRedisNodeAsync(Nodes.RedisNodeOf(primary), ct);
        hit(FaultKind.KillRedisPrimary, $"127.0.0.1:{primary}");
        var promoted = await WaitForAsync(async () => await Nodes.RedisPrimaryPortAsync(ct) is { } p && p != primary ? p : (int?)null, ct);
        var promotedAfter = clock.Elapsed;
        await Nodes.StartRedisNodeAsync(Nodes.RedisNodeOf(primary), ct);
        return $"SIGKILL of the Redis primary :{primary}; {(promoted is { } p ? $":{p} promoted after {promotedAfter.TotalSeconds:0.0}s" : "no promotion seen")}; old primary back as a replica after {clock.Elapsed.TotalSeconds:0.0}s";
    }

    // The planned slot, or the next with a ready worker connected through one of its forwarders;
    // when every worker is restarting (a kill just hit), it waits for one a while.
    private async Task<string?> CutWorkerAsync(Fault fault, Action<FaultKind, string> hit, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < FailoverBound)
        {
            for (var i = 0; i < cluster.Workers.Count; i++)
            {
                var slot = (fault.Slot + i) % cluster.Workers.Count;
                if (cluster.Workers[slot].ReadyWorkerId is not { } workerId
                    || cluster.Forwarders[slot].MaxBy(f => f.OpenConnections) is not { OpenConnections: > 0 } used)
                {
                    continue;
                }

                var node = Nodes.AmqpPorts.ToList().IndexOf(used.TargetPort) + 1;
                var closed = used.Cut(fault.Duration);
                hit(fault.Kind, $"{workerId} from node {node}");
                await Task.Delay(fault.Duration, ct);
                return $"{workerId} cut off from node {node} for {fault.Duration.TotalSeconds:0}s ({closed} connection(s) closed, new ones refused; waited {waited.Elapsed.TotalSeconds:0}s for a ready worker)";
            }

            await Task.Delay(PollInterval, ct);
        }

        return null;
    }

    private static async Task<int?> WaitForAsync(Func<Task<int?>> probe, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < FailoverBound)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            await Task.Delay(PollInterval, ct);
        }

        return null;
    }
}
