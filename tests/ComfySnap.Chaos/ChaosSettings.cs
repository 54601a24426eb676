namespace ComfySnap.Chaos;

/// <summary>One chaos run: how many jobs, the seed of its job mix and fault schedule, and how long the faults go on.</summary>
public sealed record ChaosSettings(int Jobs, int Seed, bool Soak, string ReportPath, bool Cluster = false, double JobsPerSecond = ChaosSettings.DefaultJobsPerSecond)
{
    public const double DefaultJobsPerSecond = 5;

    public const int Workers = 3;

    /// <summary>The workers' AMQP heartbeat; a SIGSTOP lasts longer than the broker's timeout (two missed beats).</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(4);

    /// <summary>Above the SIGSTOP, so a frozen worker keeps its lease and its job is not run twice.</summary>
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(40);

    /// <summary>
    /// How long the batch is spread over (faults happen inside this window): about 5 jobs a second (--rate),
    /// at least a minute; at least 100 s on the cluster, whose node faults go one at a time (a
    /// killed node takes 15-20 s to come back, and two nodes down of three stop the cluster).
    /// </summary>
    public TimeSpan SendWindow => TimeSpan.FromSeconds(Math.Max(Cluster ? 100 : 60, Jobs / JobsPerSecond));

    /// <summary>How long a worker stays cut off from its broker node.</summary>
    public static TimeSpan CutOff { get; } = TimeSpan.FromSeconds(15);

    /// <summary>The command line that replays this run.</summary>
    public string ReplayCommand => $"./comfysnap chaos{(Cluster ? " --cluster" : "")} --jobs {Jobs} --seed {Seed}{(Soak ? " --soak" : "")}{(JobsPerSecond == DefaultJobsPerSecond ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $" --rate {JobsPerSecond}"))}";

    /// <summary>A job unanswered this long after the last fault ended counts as lost.</summary>
    public static TimeSpan AnswerBound { get; } = TimeSpan.FromSeconds(90);
}
