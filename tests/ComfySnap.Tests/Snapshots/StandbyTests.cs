using System.Security.Cryptography;
using System.Text.Json;
using ComfySnap.Snapshots;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.Snapshots;

/// <summary>Real CRIU: restored copies parked before their handshake (Snapshot:Standby).</summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class StandbyTests(SnapshotFixture fixture)
{
    private const string Workflow = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":80,"height":48,"batch_size":1,"color":3355647}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":2,"sigma":1.0}},
         "3":{"class_type":"ImageGrayscale","inputs":{"image":["2",0]}},
         "4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}
        """;

    [Fact]
    public async Task A_standby_copy_takes_only_the_handshake_and_answers_like_a_cold_engine()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var restorer = fixture.Restorer();
        await using var pool = Pool(restorer, fixture.SnapshotDirectory, new FakeLogger<StandbyPool>());

        Assert.True(await pool.FillAsync(timeout.Token));
        Assert.Equal(1, pool.Count);
        var parked = await pool.TakeAsync(timeout.Token);
        Assert.NotNull(parked);
        var outcome = await restorer.HandshakeAsync(parked, new ResumeConfig("standby-a", new Dictionary<string, string?>()), timeout.Token);
        await using var process = outcome.Process!;

        Assert.True(outcome.Restored, outcome.Fallback?.Message);
        Assert.Equal("standby-a", outcome.Report!.WorkerId);
        Assert.Equal(0, pool.Count);
        Assert.Equal($"RESULT {await ColdSha256Async()}", await AskAsync(process, Workflow, timeout.Token));
    }

    [Fact]
    public async Task A_standby_copy_whose_model_changed_is_discarded_with_the_reason_logged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // A copy of the snapshot whose manifest also covers a model file this test may change.
        var copy = fixture.CopyOf("standby-stale");
        var model = Path.Combine(copy, "model-copy.safetensors");
        File.Copy(fixture.ModelPath, model);
        var manifest = fixture.Manifest;
        await (manifest with { ModelFiles = new(manifest.ModelFiles, StringComparer.Ordinal) { [model] = FileDigest.IdentityOf(model) } }).WriteAsync(copy, timeout.Token);
        var logger = new FakeLogger<StandbyPool>();
        await using var pool = Pool(fixture.Restorer(copy), copy, logger);
        Assert.True(await pool.FillAsync(timeout.Token));
        var pid = Assert.Single(pool.ParkedPids);

        await using (var stream = new FileStream(model, FileMode.Append))
        {
            stream.WriteByte(1);
        }

        var taken = await pool.TakeAsync(timeout.Token);

        Assert.Null(taken);
        Assert.Equal(0, pool.Count);
        var discarded = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.StartsWith("Discarded standby copy", StringComparison.Ordinal));
        Assert.Contains(nameof(FallbackKind.ModelChanged), discarded.Message);
        Assert.Contains("model-copy.safetensors", discarded.Message);
        // Discarded means killed, not handed out.
        using var gone = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ProcFs.WaitForExitAsync(pid, gone.Token);
    }

    [Fact]
    public async Task A_standby_copy_of_a_replaced_snapshot_is_discarded()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var copy = fixture.CopyOf("standby-replaced", withSignature: false);
        var logger = new FakeLogger<StandbyPool>();
        await using var pool = Pool(fixture.Restorer(copy), copy, logger);
        Assert.True(await pool.FillAsync(timeout.Token));

        // A new build of the worker writes a new snapshot into the folder.
        await (fixture.Manifest with { SnapshotId = "replaced-by-a-new-build" }).WriteAsync(copy, timeout.Token);

        Assert.Null(await pool.TakeAsync(timeout.Token));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains(nameof(FallbackKind.SnapshotReplaced), StringComparison.Ordinal)
            && r.Message.Contains("replaced-by-a-new-build", StringComparison.Ordinal));
    }

    private StandbyPool Pool(SnapshotRestorer restorer, string directory, ILogger<StandbyPool> logger) => new(
        restorer,
        Options.Create(new SnapshotOptions { Directory = directory, WorkDirectory = Path.Combine(fixture.Root, "restore-work"), Standby = 1 }),
        logger);

    private static async Task<string> ColdSha256Async()
    {
        await using var harness = await EngineHarness.StartAsync(root => TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs")));
        var result = await harness.RunAsync(Workflow);
        return Convert.ToHexStringLower(SHA256.HashData(result.Outputs.Single().Artifact.Bytes.Span));
    }

    private static async Task<string?> AskAsync(RestoredProcess process, string workflow, CancellationToken ct)
    {
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(workflow));
        await process.StandardInput.FlushAsync(ct);
        return await process.StandardOutput.ReadLineAsync(ct);
    }
}
