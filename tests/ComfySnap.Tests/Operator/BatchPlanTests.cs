using ComfySnap.Operator.Submit;
using ComfySnap.Tests.Support;

namespace ComfySnap.Tests.Operator;

/// <summary>Expanding inputs into jobs: .jsonl, --repeat, --seed-sweep and deterministic JobIds.</summary>
public sealed class BatchPlanTests
{
    [Fact]
    public async Task Seed_sweep_and_repeat_expand_jsonl_workflows_with_stable_job_ids()
    {
        var dir = TestEnvironment.NewTempDirectory("plan");
        var txt2img = await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepoRoot, "workflows", "default-txt2img.json"));
        var line = System.Text.Json.Nodes.JsonNode.Parse(txt2img)!.ToJsonString();
        var jsonl = Path.Combine(dir, "many.jsonl");
        await File.WriteAllLinesAsync(jsonl, [line, "", $$"""{"name":"named","workflow":{{line}}}"""]);

        var items = await WorkflowSource.ReadAsync([jsonl], CancellationToken.None);
        var jobs = BatchPlan.Expand("b1", items, repeat: 2, SeedSweep.Parse("5..7"));

        Assert.Equal(["many-00001", "named"], items.Select(i => i.Name));
        Assert.Equal(2 * 3 * 2, jobs.Count);
        Assert.Contains(jobs, j => j.Name == "named-seed6-r2");
        Assert.Contains("\"seed\":7", jobs.Single(j => j.Name == "many-00001-seed7-r1").Workflow, StringComparison.Ordinal);
        Assert.Equal(jobs.Select(j => j.JobId), BatchPlan.Expand("b1", items, 2, SeedSweep.Parse("5..7")).Select(j => j.JobId));
        Assert.Equal(jobs.Count, jobs.Select(j => j.JobId).Distinct().Count());
        Assert.Throws<ArgumentException>(() => SeedSweep.Parse("9..3"));
        Directory.Delete(dir, recursive: true);
    }
}
