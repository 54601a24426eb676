using System.Security.Cryptography;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Tests.Snapshots;

/// <summary>
/// Real CRIU: the two restore levers for a cold page cache (issue 14). Snapshot:PageInWeights=AfterReady
/// answers BOOTED before the weights are resident; Snapshot:Prefetch reads the model files beside criu.
/// Either way every job must answer what a cold engine answers.
/// </summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class WeightsPageInTests(SnapshotFixture fixture)
{
    private const string BlurWorkflow = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":72,"height":40,"batch_size":1,"color":65280}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":2,"sigma":1.0}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    [Fact]
    public async Task After_ready_restore_boots_without_the_page_in_and_renders_like_a_cold_engine()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var outcome = await fixture.Restorer(pageIn: WeightsPageIn.AfterReady).RestoreAsync(Config("after-ready"), timeout.Token);
        await using var process = outcome.Process!;

        Assert.True(outcome.Restored, outcome.Fallback?.Message);
        Assert.Contains(outcome.Phases, p => p.Name == "page in weights" && p.Detail == "after ready, in the background");
        // A job without models first (it does not wait for the page-in), then one that renders with the weights.
        Assert.Equal($"RESULT {await ColdSha256Async(BlurWorkflow, modelsDirectory: null)}", await SnapshotRestoreTests.AskAsync(process, BlurWorkflow, timeout.Token));
        var render = SnapshotRestoreTests.DefaultWorkflowAt64Pixels();
        Assert.Equal($"RESULT {await ColdSha256Async(render, fixture.ModelsDirectory)}", await SnapshotRestoreTests.AskAsync(process, render, timeout.Token));
    }

    [Fact]
    public async Task Restore_without_prefetch_renders_like_a_cold_engine()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var outcome = await fixture.Restorer(prefetch: false).RestoreAsync(Config("no-prefetch"), timeout.Token);
        await using var process = outcome.Process!;

        Assert.True(outcome.Restored, outcome.Fallback?.Message);
        var weightsMiB = new FileInfo(fixture.ModelPath).Length >> 20;
        Assert.Contains(outcome.Phases, p => p.Name == "page in weights" && (p.Detail == $"{weightsMiB} MiB" || p.Detail == $"{weightsMiB - 1} MiB"));
        var render = SnapshotRestoreTests.DefaultWorkflowAt64Pixels();
        Assert.Equal($"RESULT {await ColdSha256Async(render, fixture.ModelsDirectory)}", await SnapshotRestoreTests.AskAsync(process, render, timeout.Token));
    }

    private static ComfySnap.Snapshots.ResumeConfig Config(string workerId) => new(workerId, new Dictionary<string, string?>());

    private static async Task<string> ColdSha256Async(string workflow, string? modelsDirectory)
    {
        await using var harness = modelsDirectory is null
            ? await EngineHarness.StartAsync(root => TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs")))
            : await EngineHarness.StartAsync(settings: new Dictionary<string, string?> { ["Models:BaseDirectory"] = modelsDirectory });
        var result = await harness.RunAsync(workflow);
        return Convert.ToHexStringLower(SHA256.HashData(result.Outputs.Single().Artifact.Bytes.Span));
    }
}
