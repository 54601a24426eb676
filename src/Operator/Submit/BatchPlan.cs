using System.Security.Cryptography;
using System.Text;

namespace ComfySnap.Operator.Submit;

/// <summary>One job of a batch: its deterministic id, its name and the workflow it sends.</summary>
public sealed record PlannedJob(string JobId, string Name, string Workflow);

/// <summary>
/// Expands workflows by --seed-sweep and --repeat into jobs. JobIds derive from the batch id, the
/// job's name and its workflow, so the same inputs under the same batch give the same ids (--resume).
/// </summary>
public static class BatchPlan
{
    public static IReadOnlyList<PlannedJob> Expand(string batchId, IReadOnlyList<WorkflowItem> items, int repeat, SeedSweep? sweep)
    {
        var jobs = new List<PlannedJob>();
        foreach (var item in items)
        {
            var variants = sweep is null
                ? [item]
                : sweep.Seeds().Select(s => SeedSweep.Apply(item.Workflow, s) is { } w ? new WorkflowItem($"{item.Name}-seed{s}", w) : null)
                    .Where(v => v is not null).Select(v => v!).ToList();
            if (variants.Count == 0)
            {
                throw new ArgumentException($"{item.Name}: --seed-sweep needs a KSampler or KSamplerAdvanced node");
            }

            foreach (var v in variants)
            {
                for (var r = 1; r <= repeat; r++)
                {
                    var name = repeat == 1 ? v.Name : $"{v.Name}-r{r}";
                    jobs.Add(new PlannedJob(JobId(batchId, name, v.Workflow), name, v.Workflow));
                }
            }
        }

        var duplicate = jobs.GroupBy(j => j.JobId).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"two inputs are both named '{duplicate.First().Name}': rename one (names key the outputs and JobIds)");
        }

        return jobs;
    }

    public static string NewBatchId() => $"batch-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    private static string JobId(string batchId, string name, string workflow)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{batchId}\n{name}\n{workflow}"));
        return $"{batchId}-{Convert.ToHexStringLower(hash)[..16]}";
    }
}
