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
}

/// <summary>One fault: when (from the batch start), what, on which worker slot, for how long.</summary>
public sealed record Fault(TimeSpan At, FaultKind Kind, int Slot, TimeSpan Duration)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{At.TotalSeconds,6:0.0}s {Kind,-15} {(Kind is FaultKind.KillWorker or FaultKind.StopWorker ? $"worker {Slot}" : ""),-8} {(Duration > TimeSpan.Zero ? $"for {Duration.TotalSeconds:0}s" : "")}");
}

/// <summary>
/// The seeded fault schedule: a SIGKILL of a random worker every few seconds, one SIGSTOP longer
/// than the broker's heartbeat timeout, one RabbitMQ restart, one 10 s Redis stop, spread over the
/// send window so every fault lands while jobs are in flight. The same seed gives the same plan.
/// </summary>
public static class FaultPlan
{
    public static IReadOnlyList<Fault> Create(ChaosSettings settings)
    {
        var random = new Random(settings.Seed ^ 0x5eed);
        var window = settings.SendWindow.TotalSeconds;
        var faults = new List<Fault>();
        var (minGap, maxGap) = settings.Soak ? (6.0, 12.0) : (7.0, 12.0);
        for (var at = 5 + random.NextDouble() * 3; at < window - 5; at += minGap + random.NextDouble() * (maxGap - minGap))
        {
            faults.Add(new Fault(Seconds(at), FaultKind.KillWorker, random.Next(ChaosSettings.Workers), TimeSpan.Zero));
        }

        // Frozen past the broker's heartbeat timeout (about two missed beats), well below the lease TTL.
        var stop = ChaosSettings.Heartbeat * 3 + TimeSpan.FromSeconds(2);
        faults.Add(new Fault(Seconds(window * (0.15 + random.NextDouble() * 0.15)), FaultKind.StopWorker, random.Next(ChaosSettings.Workers), stop));
        faults.Add(new Fault(Seconds(window * (0.45 + random.NextDouble() * 0.1)), FaultKind.RestartRabbitMq, 0, TimeSpan.Zero));
        faults.Add(new Fault(Seconds(window * (0.7 + random.NextDouble() * 0.1)), FaultKind.StopRedis, 0, TimeSpan.FromSeconds(10)));
        return [.. faults.OrderBy(f => f.At)];
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
