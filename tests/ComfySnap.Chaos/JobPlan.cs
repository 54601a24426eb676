using ComfySnap.Contracts;

namespace ComfySnap.Chaos;

/// <summary>What a job is: a render, an image workflow, or a repeat of an earlier workflow that the cache answers.</summary>
public enum JobKind
{
    Render,
    Image,
    CacheHit,
}

/// <summary>One job of the batch and what the run does with it besides sending it once.</summary>
public sealed record PlannedJob(string JobId, JobKind Kind, string Workflow, bool SentTwice, bool Cancelled)
{
    public RunWorkflow Message => new(JobId, Workflow, BatchId: "chaos", CachePolicy: Kind == JobKind.CacheHit ? CachePolicy.Use : CachePolicy.Bypass);
}

/// <summary>The seeded job mix: ~10% renders, ~60% image workflows, ~30% cache hits; 2% cancelled, another 2% sent twice.</summary>
public static class JobPlan
{
    public static IReadOnlyList<PlannedJob> Create(int count, int seed, string runId)
    {
        var random = new Random(seed);
        var jobs = new List<PlannedJob>(count);
        var cacheable = new List<string>();
        var cancelled = Pick(random, count, 0.02, []);
        var twice = Pick(random, count, 0.02, cancelled);
        for (var i = 0; i < count; i++)
        {
            var roll = random.NextDouble();
            var (kind, workflow) = roll < 0.10 ? (JobKind.Render, ChaosWorkflows.RenderWith(random.Next(1, 1_000_000)))
                : roll < 0.70 || cacheable.Count == 0 ? (JobKind.Image, ChaosWorkflows.ImageWith(random.Next()))
                : (JobKind.CacheHit, cacheable[random.Next(cacheable.Count)]);
            if (kind == JobKind.Image && cacheable.Count < 50)
            {
                // A cache hit repeats one of the first image workflows, run long before it with CachePolicy Use.
                kind = JobKind.CacheHit;
                cacheable.Add(workflow);
            }

            jobs.Add(new PlannedJob($"chaos-{runId}-{i:D5}", kind, workflow, twice.Contains(i), cancelled.Contains(i)));
        }

        return jobs;
    }

    private static HashSet<int> Pick(Random random, int count, double share, HashSet<int> except)
    {
        var wanted = Math.Max(1, (int)Math.Round(count * share));
        var picked = new HashSet<int>();
        while (picked.Count < wanted)
        {
            var i = random.Next(count);
            if (!except.Contains(i))
            {
                picked.Add(i);
            }
        }

        return picked;
    }
}
