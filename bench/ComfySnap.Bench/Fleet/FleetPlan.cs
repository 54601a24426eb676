using System.Globalization;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;

namespace ComfySnap.Bench.Fleet;

/// <summary>One model of the fleet suite: its model-set snapshot's name, checkpoint file and set.</summary>
public sealed record FleetModel(string SetName, string Checkpoint, long Bytes)
{
    public ModelSet Set { get; } = ModelSet.Of([$"{BenchModels.Kind}/{Checkpoint}"])!;
}

/// <summary>
/// The fleet suite's jobs: each picks a model by a seeded Zipf popularity (rank k weighs 1/k^s, the
/// first model the most popular), so both runs (routing on and off) get the same sequence. Each job is
/// ComfyUI's default graph at <c>size</c> pixels and <c>steps</c> steps with a seed of its own,
/// sent with the output cache bypassed: every job renders, and model handling is most of its cost.
/// </summary>
public sealed class FleetPlan
{
    private FleetPlan(IReadOnlyList<FleetModel> models, IReadOnlyList<int> picks, IReadOnlyList<string> graphs)
    {
        Models = models;
        Picks = picks;
        Graphs = graphs;
    }

    public IReadOnlyList<FleetModel> Models { get; }

    /// <summary>The model index of each job, in sending order.</summary>
    public IReadOnlyList<int> Picks { get; }

    private IReadOnlyList<string> Graphs { get; }

    public static FleetPlan Create(string repoRoot, IReadOnlyList<FleetModel> models, int jobs, double zipfS, int seed, int size, int steps)
    {
        var weights = models.Select((_, k) => 1 / Math.Pow(k + 1, zipfS)).ToArray();
        var total = weights.Sum();
        // Seeded on purpose: both sides and every rerun get the same sequence (not security).
#pragma warning disable CA5394
        var random = new Random(seed);
        var picks = new int[jobs];
        for (var i = 0; i < jobs; i++)
        {
            var draw = random.NextDouble() * total;
#pragma warning restore CA5394
            var k = 0;
            while (k < weights.Length - 1 && draw >= weights[k])
            {
                draw -= weights[k];
                k++;
            }

            picks[i] = k;
        }

        var graphs = models.Select(m => BootSuite.DefaultWorkflowJob(repoRoot, m.Checkpoint, size, steps)).ToList();
        return new FleetPlan(models, picks, graphs);
    }

    /// <summary>Job <paramref name="index"/>: its model's graph with the sampler seeded by the index (so no two jobs share a node-cache entry), its set carried.</summary>
    public RunWorkflow Job(string jobIdPrefix, string batchId, int index)
    {
        var model = Models[Picks[index]];
        var graph = JsonNode.Parse(Graphs[Picks[index]])!.AsObject();
        foreach (var (_, node) in graph)
        {
            if (node!["class_type"]!.GetValue<string>() == "KSampler")
            {
                node["inputs"]!["seed"] = index;
            }
        }

        return new RunWorkflow($"{jobIdPrefix}-{index.ToString(CultureInfo.InvariantCulture)}", graph.ToJsonString(), batchId, CachePolicy.Bypass, ModelSet: model.Set);
    }

    /// <summary>How many jobs each model got, by set name.</summary>
    public Dictionary<string, int> JobsPerModel() =>
        Models.Select((m, k) => (m.SetName, Count: Picks.Count(p => p == k))).ToDictionary(p => p.SetName, p => p.Count);
}
