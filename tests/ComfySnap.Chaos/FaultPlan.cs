using System.Globalization;
using System.Text;

namespace ComfySnap.Chaos;

/// <summary>The kinds of fault the run injects.</summary>
public enum FaultKind
{
    KillWorker,
    StopWorker,
    RestartRabbitMq,
    StopRedis,

    /// <summary>Cluster: SIGKILL of the RabbitMQ node leading the work queue, started again after a few seconds.</summary>
    KillQueueLeader,

    /// <summary>Cluster: SIGSTOP of the broker node most workers use, past the heartbeat timeout, then SIGCONT.</summary>
    StopBrokerNode,

    /// <summary>Cluster: SIGKILL of the Redis primary (a Sentinel promotes the replica); the old primary comes back as a replica.</summary>
    KillRedisPrimary,

    /// <summary>Cluster: one worker's connections to the node it uses closed, new ones refused for a while.</summary>
    CutWorkerFromNode,
}

/// <summary>One fault: when (from the batch start), what, on which worker slot, for how long.</summary>
public sealed record Fault(TimeSpan At, FaultKind Kind, int Slot, TimeSpan Duration)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{At.TotalSeconds,6:0.0}s {Kind,-17} {(Kind is FaultKind.KillWorker or FaultKind.StopWorker or FaultKind.CutWorkerFromNode ? $"worker {Slot}" : ""),-8} {(Duration > TimeSpan.Zero ? $"for {Duration.TotalSeconds:0}s" : "")}");
}

/// <summary>
/// The seeded fault schedule: a SIGKILL of a random worker every few seconds, one SIGSTOP longer
/// than the broker's heartbeat timeout, and then either one RabbitMQ restart and one 10 s Redis
/// stop (the single pair) or, on the cluster, a round of node faults per 100 s of the window (the
/// queue leader killed, a broker node frozen, the Redis primary killed, a worker cut off from its
/// node), spread over the send window so every fault lands while jobs are in flight. The same seed
/// gives the same plan.
/// </summary>
public static class FaultPlan
{
    public static IReadOnlyList<Fault> Create(ChaosSettings settings)
    {
        var random = new Random(settings.Seed ^ 0x5eed);
        var window = settings.SendWindow.TotalSeconds;
        var faults = new List<Fault>();
        // On the cluster the worker kills are sparser: the node faults need a fleet that is up to show their own cost.
        var (minGap, maxGap) = settings.Cluster ? (12.0, 20.0) : settings.Soak ? (6.0, 12.0) : (7.0, 12.0);
        for (var at = 5 + random.NextDouble() * 3; at < window - 5; at += minGap + random.NextDouble() * (maxGap - minGap))
        {
            faults.Add(new Fault(Seconds(at), FaultKind.KillWorker, random.Next(ChaosSettings.Workers), TimeSpan.Zero));
        }

        // Frozen past the broker's heartbeat timeout (about two missed beats), well below the lease TTL.
        var stop = ChaosSettings.Heartbeat * 3 + TimeSpan.FromSeconds(2);
        faults.Add(new Fault(Seconds(window * (0.15 + random.NextDouble() * 0.15)), FaultKind.StopWorker, random.Next(ChaosSettings.Workers), stop));
        if (settings.Cluster)
        {
            AddClusterRounds(faults, random, window);
        }
        else
        {
            faults.Add(new Fault(Seconds(window * (0.45 + random.NextDouble() * 0.1)), FaultKind.RestartRabbitMq, 0, TimeSpan.Zero));
            faults.Add(new Fault(Seconds(window * (0.7 + random.NextDouble() * 0.1)), FaultKind.StopRedis, 0, TimeSpan.FromSeconds(10)));
        }

        return [.. faults.OrderBy(f => f.At)];
    }

    // One round per 100 s: broker node faults far enough apart that a killed node is back before
    // the next one (the injector also runs them one at a time); the Redis kill and the cut between.
    private static void AddClusterRounds(List<Fault> faults, Random random, double window)
    {
        var rounds = Math.Max(1, (int)(window / 100));
        var length = window / rounds;
        for (var round = 0; round < rounds; round++)
        {
            var start = round * length;
            // The freeze first: its node answers right after SIGCONT, while a killed node takes a
            // minute or more to boot on a loaded machine and would hold back the next node fault.
            faults.Add(new Fault(Seconds(start + length * (0.10 + random.NextDouble() * 0.05)), FaultKind.StopBrokerNode, 0, ChaosSettings.Heartbeat * 3 + TimeSpan.FromSeconds(2)));
            faults.Add(new Fault(Seconds(start + length * (0.30 + random.NextDouble() * 0.10)), FaultKind.KillRedisPrimary, 0, TimeSpan.Zero));
            faults.Add(new Fault(Seconds(start + length * (0.45 + random.NextDouble() * 0.05)), FaultKind.KillQueueLeader, 0, TimeSpan.FromSeconds(5)));
            faults.Add(new Fault(Seconds(start + length * (0.75 + random.NextDouble() * 0.05)), FaultKind.CutWorkerFromNode, random.Next(ChaosSettings.Workers), ChaosSettings.CutOff));
        }
    }

    public static string Describe(IReadOnlyList<Fault> faults)
    {
        var text = new StringBuilder();
        foreach (var fault in faults)
        {
            text.AppendLine(fault.ToString());
        }

        return text.ToString();
    }

    private static TimeSpan Seconds(double value) => TimeSpan.FromSeconds(Math.Round(value, 1));
}
