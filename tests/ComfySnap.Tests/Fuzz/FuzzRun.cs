using CsCheck;
using ComfySnap.Engine.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.Fuzz;

/// <summary>
/// One fuzz run's seed and workflows. The seed comes from COMFYSNAP_FUZZ_SEED (to replay a run)
/// or is new, and is printed by the tests; workflow i is generated from its own PCG derived from
/// the seed and i, so a single failing workflow replays alone too.
/// </summary>
public sealed class FuzzRun(string seed, WorkflowMutator mutator)
{
    public string Seed { get; } = seed;

    /// <summary>Engine limits small enough that every mutant that validates runs in milliseconds.</summary>
    public static IReadOnlyDictionary<string, string?> SmallLimits { get; } = new Dictionary<string, string?>
    {
        ["Engine:Limits:MaxNodes"] = "80",
        ["Engine:Limits:MaxPixels"] = "65536",
        ["Engine:Limits:MaxSide"] = "1024",
        ["Engine:Limits:MaxBatchSize"] = "4",
        ["Engine:Limits:MaxSteps"] = "4",
        ["Engine:NodeCacheBytes"] = "8388608",
    };

    public static FuzzRun Create(IServiceProvider services)
    {
        var seed = Environment.GetEnvironmentVariable("COMFYSNAP_FUZZ_SEED") is { Length: > 0 } s ? s : ((ulong)Random.Shared.NextInt64()).ToString("x16");
        var classTypes = services.GetRequiredService<NodeRegistry>().All.Select(n => n.ClassType).Order(StringComparer.Ordinal).ToList();
        return new FuzzRun(seed, new WorkflowMutator(FuzzSeeds.All(), classTypes));
    }

    public string Workflow(int index)
    {
        var pcg = new PCG((uint)index, Convert.ToUInt64(Seed, 16));
        return mutator.Workflow.Generate(pcg, null, out _);
    }
}
