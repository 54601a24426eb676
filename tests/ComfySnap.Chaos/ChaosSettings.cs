namespace ComfySnap.Chaos;

/// <summary>One chaos run: how many jobs, the seed of its job mix and fault schedule, and how long the faults go on.</summary>
public sealed record ChaosSettings(int Jobs, int Seed, bool Soak, string ReportPath)
{
    public const int Workers = 3;

    /// <summary>The workers' AMQP heartbeat; a SIGSTOP lasts longer than the broker's timeout (two missed beats).</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(4);

    /// <summary>Above the SIGSTOP, so a frozen worker keeps its lease and its job is not run twice.</summary>
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(40);

    /// <summary>How long the batch is spread over (faults happen inside this window): about 5 jobs a second, at least a minute.</summary>
    public TimeSpan SendWindow => TimeSpan.FromSeconds(Math.Max(60, Jobs / 5.0));

    /// <summary>A job unanswered this long after the last fault ended counts as lost.</summary>
    public static TimeSpan AnswerBound { get; } = TimeSpan.FromSeconds(90);
}
