using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ComfySnap.Snapshots;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Tests.Snapshots;

/// <summary>Real CRIU: a prepared worker is dumped, restored twice side by side, and falls back with reasons.</summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SnapshotRestoreTests(SnapshotFixture fixture)
{
    private const string Workflow = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":96,"height":64,"batch_size":1,"color":16744448}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":2,"sigma":1.0}},
         "3":{"class_type":"ImageGrayscale","inputs":{"image":["2",0]}},
         "4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}
        """;

    [Fact]
    public void Manifest_records_host_hashes_phases_and_stdio_keys()
    {
        var m = fixture.Manifest;

        Assert.Contains(m.PreparePhases, p => p.Name == "model checkpoints/" + SnapshotFixture.CheckpointName);
        Assert.Contains(m.PreparePhases, p => p.Name == "warm-up " + SnapshotFixture.CheckpointName);
        Assert.Contains(m.PreparePhases, p => p.Name == "node pack ComfySnap.ExamplePack");
        Assert.Contains(m.PreparePhases, p => p.Name == "warm-up canary");
        Assert.Contains(m.PreparePhases, p => p.Name == "native heap trim" && p.Detail!.StartsWith("anonymous RSS ", StringComparison.Ordinal));
        Assert.Equal(FileDigestOf(fixture.ModelPath), m.ModelFiles[fixture.ModelPath]);
        // The CLIP weights converted to their compute form are mapped too: the manifest covers them.
        Assert.Contains(m.ModelFiles.Keys, f => f.Contains("/.converted/", StringComparison.Ordinal) && f.EndsWith(".compute.safetensors", StringComparison.Ordinal));
        Assert.Contains("ComfySnap.Worker.dll", m.WorkerFiles.Keys);
        Assert.StartsWith("pipe:[", m.StdioKeys[0]);
        // The preloaded weights are a mapping of the model file, not pages of the image.
        // The worker itself (runtime, torch, the warm-up's heap) is ~100 MiB; private copies of the
        // 57 MiB of weights would push the image well past this bound.
        Assert.True(m.ImageBytes < 140L * 1024 * 1024, $"image is {m.ImageBytes} bytes; the {new FileInfo(fixture.ModelPath).Length}-byte model must be a mapping, not in it");
        Assert.StartsWith("4.2", m.CriuVersion);
    }

    [Fact]
    public async Task Two_restores_side_by_side_run_jobs_with_bytes_identical_to_a_cold_engine()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var restorer = fixture.Restorer();

        var restores = await Task.WhenAll(
            restorer.RestoreAsync(new ResumeConfig("worker-a", new Dictionary<string, string?> { ["Bus:RabbitMq:Password"] = SnapshotFixture.Secret }), ct),
            restorer.RestoreAsync(new ResumeConfig("worker-b", new Dictionary<string, string?>()), ct));
        await using var a = restores[0].Process!;
        await using var b = restores[1].Process!;

        Assert.All(restores, r => Assert.True(r.Restored, r.Fallback?.Message));
        Assert.NotEqual(a.HostPid, b.HostPid);
        Assert.Equal(["worker-a", "worker-b"], restores.Select(r => r.Report!.WorkerId));
        Assert.All(restores, r => Assert.Contains(r.Phases, p => p.Name == "restore"));
        Assert.All(restores, r => Assert.Contains(r.Phases, p => p.Name == "device init"));
        var weightsMiB = new FileInfo(fixture.ModelPath).Length / (1024 * 1024);
        Assert.All(restores, r => Assert.Contains(r.Phases, p => p.Name == "page in weights" && (p.Detail == $"{weightsMiB} MiB" || p.Detail == $"{weightsMiB - 1} MiB")));
        // Both copies hold the preloaded weights as a mapping of the one model file (shared page cache).
        Assert.Contains(fixture.ModelPath, await File.ReadAllTextAsync($"/proc/{a.HostPid}/maps", ct));
        Assert.Contains(fixture.ModelPath, await File.ReadAllTextAsync($"/proc/{b.HostPid}/maps", ct));
        // The restorer counted the restore's faults (criu's writes of the copy's memory).
        Assert.All(restores, r => Assert.Matches(@"^\d+ minor, \d+ major faults$", r.Phases.Single(p => p.Name == "restore").Detail));

        string cold;
        await using (var harness = await EngineHarness.StartAsync(root => TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs"))))
        {
            var result = await harness.RunAsync(Workflow);
            cold = Convert.ToHexStringLower(SHA256.HashData(result.Outputs.Single().Artifact.Bytes.Span));
        }

        Assert.Equal($"RESULT {cold}", await AskAsync(a, Workflow, ct));
        Assert.Equal($"RESULT {cold}", await AskAsync(b, Workflow, ct));
        Assert.Equal(restores[0].Report!.CanarySha256, restores[1].Report!.CanarySha256);
    }

    [Fact]
    public async Task Two_restored_workers_connect_to_rabbitmq_and_redis_and_complete_jobs()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        // serve's default: BOOTED before the weights are resident; the queue's SD render below waits for them.
        var restorer = fixture.Restorer(prefetch: false, pageIn: WeightsPageIn.AfterReady);
        var settings = bus.Settings.Where(kv => kv.Key.StartsWith("Bus:", StringComparison.Ordinal) || kv.Key.StartsWith("Cache:", StringComparison.Ordinal) || kv.Key.StartsWith("Catalog:", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);

        var healthPort = FreePorts.Take(1)[0];
        var restores = await Task.WhenAll(
            restorer.RestoreAsync(new ResumeConfig("restored-a", new Dictionary<string, string?>(settings) { ["Bus:WorkerId"] = "restored-a", ["Health:Port"] = $"{healthPort}" }), CancellationToken.None),
            restorer.RestoreAsync(new ResumeConfig("restored-b", new Dictionary<string, string?>(settings) { ["Bus:WorkerId"] = "restored-b" }), CancellationToken.None));
        await using var a = restores[0].Process!;
        await using var b = restores[1].Process!;
        Assert.All(restores, r => Assert.True(r.Restored, r.Fallback?.Message));

        foreach (var id in new[] { "restored-a", "restored-b" })
        {
            var (booted, _) = await bus.Events.WaitAsync<ComfySnap.Contracts.WorkerBooted>(w => w.WorkerId == id, TimeSpan.FromSeconds(60));
            Assert.Equal(ComfySnap.Contracts.BootMode.Restored, booted.Mode);
            Assert.Equal(fixture.Manifest.SnapshotId, booted.SnapshotId);
            Assert.Contains(booted.Phases, p => p.Name == "restore");
            Assert.Contains(booted.Phases, p => p.Name == "bus connect");
        }

        // On resume: the health listener opens (never in the snapshot) and the node catalog is published.
        await HttpProbe.WaitForOkAsync(new Uri($"http://127.0.0.1:{healthPort}/ready"), TimeSpan.FromSeconds(30));
        await AssertCatalogPublishedAsync(settings["Cache:Redis"]!, settings["Cache:KeyPrefix"]!, "restored-a", "restored-b");

        string cold;
        await using (var harness = await EngineHarness.StartAsync(root => TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs"))))
        {
            cold = Convert.ToHexStringLower(SHA256.HashData((await harness.RunAsync(Workflow)).Outputs.Single().Artifact.Bytes.Span));
        }

        for (var i = 0; i < 4; i++)
        {
            await bus.SendAsync(new ComfySnap.Contracts.RunWorkflow($"restored-job-{i}", Workflow, CachePolicy: ComfySnap.Contracts.CachePolicy.Bypass));
        }

        for (var i = 0; i < 4; i++)
        {
            var (done, _) = await bus.Events.WaitAsync<ComfySnap.Contracts.WorkflowCompleted>(c => c.JobId == $"restored-job-{i}", TimeSpan.FromSeconds(60));
            Assert.Equal(cold, done.Outputs.Single().Sha256, ignoreCase: true);
        }

        // A Stable Diffusion render from the preloaded checkpoint: ComfyUI's default graph over the queue.
        var sd = DefaultWorkflowAt64Pixels();
        string coldSd;
        await using (var harness = await EngineHarness.StartAsync(settings: new Dictionary<string, string?> { ["Models:BaseDirectory"] = fixture.ModelsDirectory }))
        {
            coldSd = Convert.ToHexStringLower(SHA256.HashData((await harness.RunAsync(sd)).Outputs.Single().Artifact.Bytes.Span));
        }

        await bus.SendAsync(new ComfySnap.Contracts.RunWorkflow("restored-sd-job", sd, CachePolicy: ComfySnap.Contracts.CachePolicy.Bypass));
        var (render, _) = await bus.Events.WaitAsync<ComfySnap.Contracts.WorkflowCompleted>(c => c.JobId == "restored-sd-job", TimeSpan.FromSeconds(120));
        Assert.Equal(coldSd, render.Outputs.Single().Sha256, ignoreCase: true);
    }

    [Fact]
    public async Task A_worker_restored_from_a_snapshot_of_a_model_set_consumes_that_sets_queue_with_routing_on()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, heartbeats: true);
        var settings = bus.Settings.Where(kv => kv.Key.StartsWith("Bus:", StringComparison.Ordinal) || kv.Key.StartsWith("Cache:", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        settings["Bus:WorkerId"] = "restored-routed";
        settings["Bus:HeartbeatInterval"] = "00:00:01";
        settings["Routing:Enabled"] = "true";
        var restore = await fixture.Restorer().RestoreAsync(new ResumeConfig("restored-routed", settings), CancellationToken.None);
        await using var worker = restore.Process!;
        Assert.True(restore.Restored, restore.Fallback?.Message);

        // The snapshot's preloaded checkpoint is a model set of its own: the restored worker serves its queue.
        var set = ComfySnap.Contracts.ModelSet.Of(["checkpoints/" + SnapshotFixture.CheckpointName])!;
        await bus.Events.WaitAsync<ComfySnap.Contracts.WorkerHeartbeat>(h => h.WorkerId == "restored-routed" && h.ModelSets?.Any(s => s.Key == set.Key) == true, TimeSpan.FromSeconds(90));
        var routes = new ComfySnap.ServiceDefaults.Routing.ModelRoutes(bus.QueueName);
        await bus.SendToAsync(routes.ModelExchangeAddress, new ComfySnap.Contracts.RunWorkflow("restored-routed-job", DefaultWorkflowAt64Pixels(), CachePolicy: ComfySnap.Contracts.CachePolicy.Bypass, ModelSet: set), set.Key);
        var (timings, _) = await bus.Events.WaitAsync<ComfySnap.Contracts.JobTimings>(t => t.JobId == "restored-routed-job", TimeSpan.FromSeconds(120));
        Assert.Equal(("restored-routed", ComfySnap.Contracts.JobRoute.ModelQueue, ComfySnap.Contracts.ModelWarmth.Warm, set.Key),
            (timings.WorkerId, timings.Route, timings.Models, timings.ModelSetKey));
    }

    // Each restored worker's record names the catalog gateways use: the snapshot's node pack and preloaded checkpoint in it.
    private static async Task AssertCatalogPublishedAsync(string redisConfiguration, string keyPrefix, params string[] workerIds)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redisConfiguration);
        var db = redis.GetDatabase();
        var keys = new ComfySnap.Engine.Catalog.CatalogKeys(keyPrefix);
        var watch = Stopwatch.StartNew();
        while (!workerIds.All(id => db.KeyExists(keys.Worker(id))) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        var latest = (await db.StringGetAsync(keys.Latest)).ToString();
        foreach (var id in workerIds)
        {
            var record = System.Text.Json.Nodes.JsonNode.Parse((await db.StringGetAsync(keys.Worker(id))).ToString())!;
            Assert.Equal("restored", record["mode"]!.GetValue<string>());
            Assert.Equal(latest, record["catalog"]!.GetValue<string>());
        }

        var catalog = ComfySnap.Engine.Catalog.PublishedCatalog.Parse(latest, (await db.StringGetAsync(keys.Document(latest))).ToString());
        Assert.NotNull(catalog.Find("ImageGrayscale"));
        Assert.Contains(SnapshotFixture.CheckpointName, catalog.Models("checkpoints"));
    }

    [Fact]
    public async Task Lazy_pages_restore_runs_a_job_with_bytes_identical_to_a_cold_engine()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var outcome = await fixture.Restorer(lazyPages: true).RestoreAsync(Config(), timeout.Token);
        await using var process = outcome.Process!;

        Assert.True(outcome.Restored, outcome.Fallback?.Message);
        Assert.Contains(outcome.Phases, p => p.Name == "restore" && p.Detail!.StartsWith("lazy pages; ", StringComparison.Ordinal));
        string cold;
        await using (var harness = await EngineHarness.StartAsync(root => TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs"))))
        {
            cold = Convert.ToHexStringLower(SHA256.HashData((await harness.RunAsync(Workflow)).Outputs.Single().Artifact.Bytes.Span));
        }

        Assert.Equal($"RESULT {cold}", await AskAsync(process, Workflow, timeout.Token));
    }

    [Fact]
    public void Snapshot_images_contain_no_runtime_secret()
    {
        Assert.NotEmpty(TestEnvironment.ServiceSecrets);
        var needles = new[] { SnapshotFixture.Secret, SnapshotFixture.SigningKeyA }.Concat(TestEnvironment.ServiceSecrets).SelectMany(s => new[] { Encoding.UTF8.GetBytes(s), Encoding.Unicode.GetBytes(s) }).ToArray();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(fixture.SnapshotDirectory, SnapshotManifest.ImagesFolder)))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.All(needles, n => Assert.True(bytes.AsSpan().IndexOf(n) < 0, $"{Path.GetFileName(file)} contains the secret"));
        }
    }

    [Fact]
    public async Task No_snapshot_falls_back_with_a_reason()
    {
        var outcome = await fixture.Restorer(Path.Combine(fixture.Root, "does-not-exist")).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.SnapshotMissing, outcome.Fallback?.Kind);
    }

    [Fact]
    public async Task Changed_model_file_falls_back_as_manifest_mismatch()
    {
        var copy = CopyOfSnapshot("model-changed", out var manifest);
        var modelCopy = Path.Combine(copy, "big-copy.safetensors");
        File.Copy(fixture.ModelPath, modelCopy);
        await (manifest with { ModelFiles = new(StringComparer.Ordinal) { [modelCopy] = FileDigest.IdentityOf(modelCopy) } }).WriteAsync(copy, CancellationToken.None);
        await using (var stream = new FileStream(modelCopy, FileMode.Append))
        {
            stream.WriteByte(1);
        }

        var outcome = await fixture.Restorer(copy).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.ModelChanged, outcome.Fallback?.Kind);
        Assert.Contains("big-copy.safetensors", outcome.Fallback!.Message);
    }

    [Fact]
    public async Task A_worker_configured_for_another_unet_dtype_falls_back_instead_of_serving_the_snapshots_precision()
    {
        Assert.Equal("fp32", fixture.Manifest.UnetDtype);

        var outcome = await fixture.Restorer(unetDtype: "BF16").RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.ModelChanged, outcome.Fallback?.Kind);
        Assert.Contains("compute in fp32", outcome.Fallback!.Message);
        Assert.Contains("Models:UnetDtype=bf16", outcome.Fallback.Message);
    }

    [Fact]
    public async Task Corrupted_image_file_falls_back_as_image_corrupt()
    {
        var copy = CopyOfSnapshot("corrupt", out _, copyImages: true);
        var pages = Directory.GetFiles(Path.Combine(copy, SnapshotManifest.ImagesFolder), "pages-*.img").OrderByDescending(f => new FileInfo(f).Length).First();
        await using (var stream = new FileStream(pages, FileMode.Open))
        {
            stream.Position = stream.Length / 2;
            var b = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        var outcome = await fixture.Restorer(copy).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.ImageCorrupt, outcome.Fallback?.Kind);
        Assert.Contains(Path.GetFileName(pages), outcome.Fallback!.Message);
    }

    [Fact]
    public async Task Handshake_timeout_falls_back_and_kills_the_restored_process()
    {
        var outcome = await fixture.Restorer(handshake: TimeSpan.FromMilliseconds(1)).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.HandshakeTimeout, outcome.Fallback?.Kind);
        Assert.Null(outcome.Process);
    }

    private static ResumeConfig Config() => new("w", new Dictionary<string, string?>());

    private string CopyOfSnapshot(string name, out SnapshotManifest manifest, bool copyImages = false)
    {
        manifest = fixture.Manifest;
        return fixture.CopyOf(name, copyImages);
    }

    [Fact]
    public async Task Restored_worker_renders_the_default_workflow_like_a_cold_engine()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var workflow = DefaultWorkflowAt64Pixels();
        var restore = await fixture.Restorer().RestoreAsync(new ResumeConfig("worker-sd", new Dictionary<string, string?>()), timeout.Token);
        await using var restored = restore.Process!;
        Assert.True(restore.Restored, restore.Fallback?.Message);

        string cold;
        await using (var harness = await EngineHarness.StartAsync(settings: new Dictionary<string, string?> { ["Models:BaseDirectory"] = fixture.ModelsDirectory }))
        {
            var result = await harness.RunAsync(workflow);
            cold = Convert.ToHexStringLower(SHA256.HashData(result.Outputs.Single().Artifact.Bytes.Span));
        }

        Assert.Equal($"RESULT {cold}", await AskAsync(restored, workflow, timeout.Token));
    }

    /// <summary>ComfyUI's default graph, unchanged but for the checkpoint name, a 64x64 size and 3 steps (CI time).</summary>
    internal static string DefaultWorkflowAt64Pixels()
    {
        var graph = System.Text.Json.Nodes.JsonNode.Parse(EngineHarness.Workflow("default-txt2img.json"))!;
        graph["4"]!["inputs"]!["ckpt_name"] = SnapshotFixture.CheckpointName;
        graph["5"]!["inputs"]!["width"] = 64;
        graph["5"]!["inputs"]!["height"] = 64;
        graph["3"]!["inputs"]!["steps"] = 3;
        return graph.ToJsonString();
    }

    internal static async Task<string?> AskAsync(RestoredProcess process, string workflow, CancellationToken ct)
    {
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(workflow));
        await process.StandardInput.FlushAsync(ct);
        // A worker that died answers nothing: say why (its last words on stderr).
        return await process.StandardOutput.ReadLineAsync(ct)
            ?? throw new InvalidOperationException("the restored worker closed its control channel: " + await process.StandardError.ReadToEndAsync(ct));
    }

    private static string FileDigestOf(string path) => FileDigest.IdentityOf(path);
}

[CollectionDefinition(Name)]
public sealed class SnapshotCollection : ICollectionFixture<SnapshotFixture>
{
    public const string Name = "snapshot";
}
