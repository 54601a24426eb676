using ComfySnap.Contracts;
using ComfySnap.Operator.Cli;
using ComfySnap.Tests.Operator.Support;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.TestSupport;
using ComfySnap.Tests.Upscale.Support;

namespace ComfySnap.Tests.Fleet;

/// <summary>
/// The fleet's model-aware routing on a private RabbitMQ and Redis with `serve` child workers: each
/// job goes to a worker holding its model; a dead holder's jobs spill to the others; a model that
/// cannot load on a worker is handed back; the memory budget unloads the least recently used model.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FleetRoutingTests(FleetServices fixture) : IClassFixture<FleetServices>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);
    private static readonly string[] Models = ["a.pth", "b.pth", "c.pth"];

    private static string Workflow(string model, int color, int size = 16) =>
        "{\"1\": {\"class_type\": \"EmptyImage\", \"inputs\": {\"width\": " + size + ", \"height\": " + size + ", \"batch_size\": 1, \"color\": " + color + "}},"
        + " \"2\": {\"class_type\": \"UpscaleModelLoader\", \"inputs\": {\"model_name\": \"" + model + "\"}},"
        + " \"3\": {\"class_type\": \"ImageUpscaleWithModel\", \"inputs\": {\"upscale_model\": [\"2\", 0], \"image\": [\"1\", 0]}},"
        + " \"4\": {\"class_type\": \"PreviewImage\", \"inputs\": {\"images\": [\"3\", 0]}}}";

    private static ModelSet SetOf(string model) => ModelSet.Of([$"upscale_models/{model}"])!;

    [Fact]
    public async Task A_mixed_batch_is_answered_in_full_each_job_on_a_worker_holding_its_model()
    {
        // Busy holders keep their sets' jobs here: an idle worker takes on another's queue only after 5 min.
        var settings = new Dictionary<string, string?> { ["Routing:TakeOnAfter"] = "00:05:00" };
        await using var client = await ClientAsync();
        await using var w1 = await WorkerAsync(client, "w1", preload: "a.pth", settings);
        await using var w2 = await WorkerAsync(client, "w2", preload: "b.pth", settings);
        await ServingAsync(client, "w1", SetOf("a.pth"));
        await ServingAsync(client, "w2", SetOf("b.pth"));

        var jobs = Enumerable.Range(0, 18).Select(i => (Id: $"{client.QueueName}-mix-{i}", Model: Models[i % 3])).ToList();
        foreach (var (id, model) in jobs)
        {
            await SendRoutedAsync(client, new RunWorkflow(id, Workflow(model, jobs.FindIndex(j => j.Id == id)), CachePolicy: CachePolicy.Bypass, ModelSet: SetOf(model)));
        }

        var timings = await AnsweredOnceAsync(client, jobs.Select(j => j.Id));
        foreach (var (id, model) in jobs)
        {
            var t = timings[id];
            Assert.Equal(SetOf(model).Key, t.ModelSetKey);
            if (model == "a.pth" || model == "b.pth")
            {
                // Held from the start by exactly one worker: routed there, and warm.
                Assert.Equal((model == "a.pth" ? Id(client, "w1") : Id(client, "w2"), JobRoute.ModelQueue, ModelWarmth.Warm), (t.WorkerId, t.Route, t.Models));
            }
        }

        // Nobody held c.pth when the batch went out: the alternate exchange sent its jobs to the shared queue.
        Assert.Contains(jobs.Where(j => j.Model == "c.pth"), j => timings[j.Id].Route == JobRoute.Shared && timings[j.Id].Models == ModelWarmth.Loaded);

        // `status`: each worker's models, each model queue with its depth and who serves it.
        using var output = new CapturedWriter();
        using var error = new CapturedWriter();
        var code = await OperatorCli.InvokeAsync(["status", "--listen", "3", "--rabbitmq", fixture.Services.RabbitMqUri, "--queue", client.QueueName],
            OperatorIo.Plain(output, error, 200), CancellationToken.None);
        var text = string.Concat(output.Text.Select(c => c is '│' or '┃' or '║' ? '|' : c));
        Assert.True(code == 0, text + error.Text);
        Assert.Matches($@"{SetOf("a.pth").Key}\s*\|\s*upscale_models/a.pth\s*\|\s*0\s*\|\s*1\s*\|[^|\n]*\|\s*{Id(client, "w1")}", text);
        Assert.Matches($@"{Id(client, "w2")}\s*\|[^\n]*upscale_models/b.pth[^\n]*\|[^\n]*{SetOf("b.pth").Key}", text);
    }

    [Fact]
    public async Task Jobs_of_a_killed_worker_holding_the_only_copy_of_their_model_complete_elsewhere_once()
    {
        // The TTL path alone: with balance on, the idle w2 would take the orphaned queue on before it spills.
        var settings = new Dictionary<string, string?> { ["Routing:ModelQueueWait"] = "00:00:03", ["Jobs:LeaseTtl"] = "00:00:03", ["Routing:Balance"] = "false" };
        await using var client = await ClientAsync();
        await using var w2 = await WorkerAsync(client, "w2", preload: "b.pth", settings);
        await using var w1 = await WorkerAsync(client, "w1", preload: "a.pth", settings);
        await ServingAsync(client, "w1", SetOf("a.pth"));

        var ids = Enumerable.Range(0, 12).Select(i => $"{client.QueueName}-kill-{i}").ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            await SendRoutedAsync(client, new RunWorkflow(ids[i], Workflow("a.pth", i, size: 192), CachePolicy: CachePolicy.Bypass, ModelSet: SetOf("a.pth")));
        }

        await client.Events.WaitAsync<WorkflowAccepted>(a => a.WorkerId == Id(client, "w1"), Generous);
        w1.Kill();

        var timings = await AnsweredOnceAsync(client, ids);
        var byW2 = ids.Where(id => timings[id].WorkerId == Id(client, "w2")).ToList();
        Assert.NotEmpty(byW2);
        // The first of them waited out the model queue (nobody consumed it) and spilled to the shared queue.
        Assert.Contains(byW2, id => timings[id].Route == JobRoute.Spilled);
        Assert.All(byW2, id => Assert.Equal(ModelSet.Of(["upscale_models/a.pth"])!.Key, timings[id].ModelSetKey));
    }

    [Fact]
    public async Task A_model_that_cannot_load_on_a_worker_is_not_tried_there_again_and_its_jobs_run_elsewhere()
    {
        await using var client = await ClientAsync();
        await using var broken = await WorkerAsync(client, "broken", corrupt: "c.pth");
        await using var good = await WorkerAsync(client, "good");
        var ids = Enumerable.Range(0, 6).Select(i => $"{client.QueueName}-bad-{i}").ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            await SendRoutedAsync(client, new RunWorkflow(ids[i], Workflow("c.pth", i), CachePolicy: CachePolicy.Bypass, ModelSet: SetOf("c.pth")));
        }

        var timings = await AnsweredOnceAsync(client, ids);
        Assert.All(ids, id => Assert.Equal(Id(client, "good"), timings[id].WorkerId));
        Assert.Contains(ids, id => timings[id].Route == JobRoute.HandedBack);
        var beat = await client.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == Id(client, "broken") && h.UnloadableModels?.Contains("upscale_models/c.pth") == true, Generous);
        Assert.DoesNotContain(ServedBy(beat.Message), k => k == SetOf("c.pth").Key);
        Assert.Single(broken.Output, l => l.Contains("failed to load on", StringComparison.Ordinal));

        // With no other worker left, the job fails and says which model could not load where.
        good.Terminate();
        Assert.NotNull(await good.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var last = $"{client.QueueName}-bad-last";
        await SendRoutedAsync(client, new RunWorkflow(last, Workflow("c.pth", 99), CachePolicy: CachePolicy.Bypass, ModelSet: SetOf("c.pth")));
        var failed = Assert.IsType<WorkflowFailed>(await client.Events.ResultAsync(last, Generous));
        Assert.Contains("upscale_models/c.pth", failed.Message, StringComparison.Ordinal);
        Assert.Contains(Id(client, "broken"), failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_memory_budget_unloads_the_least_recently_used_model()
    {
        await using var client = await ClientAsync();
        var modelBytes = new FileInfo(Path.Combine(ModelsOf(client, "probe"), "a.pth")).Length;
        // Room for two of the three (equal-sized) models.
        await using var worker = await WorkerAsync(client, "budget", settings: new() { ["Models:MemoryBudget"] = (2 * modelBytes + modelBytes / 2).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var order = new[] { "a.pth", "b.pth", "a.pth", "c.pth", "a.pth" };
        var timings = new List<JobTimings>();
        for (var i = 0; i < order.Length; i++)
        {
            var id = $"{client.QueueName}-lru-{i}";
            await client.SendAsync(new RunWorkflow(id, Workflow(order[i], i), CachePolicy: CachePolicy.Bypass));
            timings.Add((await client.Events.WaitAsync<JobTimings>(t => t.JobId == id, Generous)).Message);
        }

        // a, b loaded; a warm (and now the most recent); c evicts b (least recently used), not a; a still warm.
        Assert.Equal([ModelWarmth.Loaded, ModelWarmth.Loaded, ModelWarmth.Warm, ModelWarmth.Loaded, ModelWarmth.Warm], timings.Select(t => t.Models));
        var beat = await client.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == Id(client, "budget") && h.Models?.Contains("upscale_models/c.pth") == true, Generous);
        Assert.Equal(["upscale_models/a.pth", "upscale_models/c.pth"], beat.Message.Models!.Order(StringComparer.Ordinal));
        Assert.Contains(worker.Output, l => l.Contains("unloaded", StringComparison.Ordinal) && l.Contains("upscale_models/b.pth", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_idle_worker_holding_another_model_takes_on_a_queue_nobody_consumes_before_its_jobs_spill()
    {
        // A TTL far beyond the test: only the balance can move these jobs out of their model queue.
        var settings = new Dictionary<string, string?> { ["Routing:ModelQueueWait"] = "00:10:00" };
        await using var client = await ClientAsync();
        await using var idle = await WorkerAsync(client, "idle", preload: "a.pth", settings);
        await LeaveBehindQueueAsync(client, "b.pth", settings);

        var ids = Enumerable.Range(0, 4).Select(i => $"{client.QueueName}-pressed-{i}").ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            await SendRoutedAsync(client, new RunWorkflow(ids[i], Workflow("b.pth", i), CachePolicy: CachePolicy.Bypass, ModelSet: SetOf("b.pth")));
        }

        var timings = await AnsweredOnceAsync(client, ids);
        // Taken from the model queue itself (not spilled), by the worker that held a.pth, which loaded b.pth for the first.
        Assert.All(ids, id => Assert.Equal((Id(client, "idle"), JobRoute.ModelQueue), (timings[id].WorkerId, timings[id].Route)));
        Assert.Equal(ModelWarmth.Loaded, timings[ids[0]].Models);
        Assert.All(ids.Skip(1), id => Assert.Equal(ModelWarmth.Warm, timings[id].Models));
        Assert.Single(idle.Output, l => l.Contains("Taking on model queue " + new ModelRoutes(client.QueueName).ModelQueue(SetOf("b.pth").Key), StringComparison.Ordinal));
        // From then on it holds b.pth and serves its queue like any holder.
        await ServingAsync(client, "idle", SetOf("b.pth"));
    }

    [Fact]
    public async Task A_worker_on_which_the_pressed_model_failed_to_load_does_not_take_its_queue_on_again()
    {
        var settings = new Dictionary<string, string?> { ["Routing:ModelQueueWait"] = "00:10:00" };
        await using var client = await ClientAsync();
        await using var broken = await WorkerAsync(client, "broken", preload: "a.pth", settings, corrupt: "c.pth");
        await LeaveBehindQueueAsync(client, "c.pth", settings);

        var ids = Enumerable.Range(0, 4).Select(i => $"{client.QueueName}-unloadable-{i}").ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            await SendRoutedAsync(client, new RunWorkflow(ids[i], Workflow("c.pth", i), CachePolicy: CachePolicy.Bypass, ModelSet: SetOf("c.pth")));
        }

        // It took the queue on, its first job failed to load c.pth (no other worker to hand it back to), and it let go.
        var first = Assert.IsType<WorkflowFailed>(await client.Events.ResultAsync(ids[0], Generous));
        Assert.Contains("c.pth", first.Message, StringComparison.Ordinal);
        await client.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == Id(client, "broken") && h.UnloadableModels?.Contains("upscale_models/c.pth") == true, Generous);
        await Task.Delay(TimeSpan.FromSeconds(4));
        var takeOn = "Taking on model queue " + new ModelRoutes(client.QueueName).ModelQueue(SetOf("c.pth").Key);
        Assert.Single(broken.Output, l => l.Contains(takeOn, StringComparison.Ordinal));
        Assert.Single(broken.Output, l => l.Contains("failed to load on", StringComparison.Ordinal));
        Assert.DoesNotContain(client.Events.All<WorkflowCompleted>(), c => ids.Contains(c.JobId));

        // A worker that can load it takes the queue on and runs the rest from it.
        await using var good = await WorkerAsync(client, "good", settings: settings);
        var rest = ids.Skip(1).ToList();
        var timings = await AnsweredOnceAsync(client, rest);
        Assert.All(rest, id => Assert.Equal((Id(client, "good"), JobRoute.ModelQueue), (timings[id].WorkerId, timings[id].Route)));
        Assert.Single(good.Output, l => l.Contains(takeOn, StringComparison.Ordinal));
        Assert.Single(broken.Output, l => l.Contains(takeOn, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_shows_a_model_queue_whose_only_holder_died_with_its_waiting_jobs()
    {
        var settings = new Dictionary<string, string?> { ["Routing:ModelQueueWait"] = "00:10:00" };
        await using var client = await ClientAsync();
        await using var holder = await WorkerAsync(client, "gone", preload: "a.pth", settings);
        await ServingAsync(client, "gone", SetOf("a.pth"));
        holder.Kill();
        for (var i = 0; i < 2; i++)
        {
            await SendRoutedAsync(client, new RunWorkflow($"{client.QueueName}-orphan-{i}", Workflow("a.pth", i), CachePolicy: CachePolicy.Bypass, ModelSet: SetOf("a.pth")));
        }

        // Its registry entry goes stale after three 1 s heartbeat intervals.
        await Task.Delay(TimeSpan.FromSeconds(4));
        using var output = new CapturedWriter();
        using var error = new CapturedWriter();
        var code = await OperatorCli.InvokeAsync(["status", "--listen", "1", "--rabbitmq", fixture.Services.RabbitMqUri, "--queue", client.QueueName,
            "--redis", fixture.Services.RedisEndpoint, "--key-prefix", client.Settings["Cache:KeyPrefix"]!], OperatorIo.Plain(output, error, 240), CancellationToken.None);
        var text = string.Concat(output.Text.Select(c => c is '│' or '┃' or '║' ? '|' : c));
        Assert.True(code == 0, text + error.Text);
        Assert.Matches($@"{SetOf("a.pth").Key}\s*\|\s*upscale_models/a.pth\s*\|\s*2\s*\|\s*0\s*\|\s*\d+\.\d s\s*\|\s*ALL HOLDERS DEAD: {Id(client, "gone")}", text);
    }

    // A worker that held only MODEL consumed its set's queue, then stopped: the queue stays, bound, with no consumer.
    private static async Task LeaveBehindQueueAsync(RabbitWorkerHarness client, string model, Dictionary<string, string?> settings)
    {
        await using var holder = await WorkerAsync(client, "holder-" + Path.GetFileNameWithoutExtension(model), preload: model, settings);
        await ServingAsync(client, "holder-" + Path.GetFileNameWithoutExtension(model), SetOf(model));
        holder.Terminate();
        Assert.NotNull(await holder.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    // The client: events (heartbeats included) and sends, on the private pair; no in-process worker.
    private async Task<RabbitWorkerHarness> ClientAsync()
    {
        var client = await RabbitWorkerHarness.StartAsync(fixture.Services.RedisEndpoint, inProcessWorker: false, heartbeats: true, broker: fixture.Services);
        WriteModels(ModelsOf(client, "probe"), corrupt: null);
        return client;
    }

    private static string Id(RabbitWorkerHarness client, string name) => $"{client.QueueName}-{name}";

    private static string ModelsOf(RabbitWorkerHarness client, string name) => Path.Combine(client.Root, name, "models", "upscale_models");

    private static async Task<WorkerProcess> WorkerAsync(RabbitWorkerHarness client, string name, string? preload = null, Dictionary<string, string?>? settings = null, string? corrupt = null)
    {
        var root = Path.Combine(client.Root, name);
        var all = new Dictionary<string, string?>(client.Settings);
        foreach (var (k, v) in WorkerSettings.OnBus(root, client.QueueName, Id(client, name), PortOf(client), client.Settings["Cache:Redis"]!, client.Settings["Cache:KeyPrefix"]!))
        {
            all[k] = v;
        }

        foreach (var key in new[] { "Bus:RabbitMq:Host", "Bus:RabbitMq:Port", "Bus:RabbitMq:Username", "Bus:RabbitMq:Password" })
        {
            all[key] = client.Settings[key];
        }

        all["Routing:Enabled"] = "true";
        all["Bus:HeartbeatInterval"] = "00:00:01";
        all["Serilog:MinimumLevel:Default"] = "Information";
        if (preload is not null)
        {
            all["Models:Preload:0"] = $"upscale_models/{preload}";
        }

        foreach (var (k, v) in settings ?? [])
        {
            all[k] = v;
        }

        WriteModels(Path.Combine(root, "models", "upscale_models"), corrupt);
        return await WorkerProcess.StartAsync(all, Id(client, name), Generous);
    }

    private static int PortOf(RabbitWorkerHarness client) => int.Parse(client.Settings["Bus:RabbitMq:Port"]!, System.Globalization.CultureInfo.InvariantCulture);

    // Three tiny RRDB upscalers of equal size, different weights; a corrupt one is garbage bytes of the same name.
    private static void WriteModels(string directory, string? corrupt)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < Models.Length; i++)
        {
            if (Models[i] == corrupt)
            {
                File.WriteAllBytes(Path.Combine(directory, Models[i]), new byte[4096]);
                continue;
            }

            var weights = RrdbStateDicts.Random(numFeat: 4, numBlock: 1, numGrow: 4, scale: 4, seed: 11 + i);
            CheckpointFiles.WritePth(directory, Models[i], weights, "params_ema");
            RrdbStateDicts.Dispose(weights);
        }
    }

    private static Task SendRoutedAsync(RabbitWorkerHarness client, RunWorkflow job)
    {
        var routes = new ModelRoutes(client.QueueName);
        return client.SendToAsync(routes.ModelExchangeAddress, job, job.ModelSet?.Key);
    }

    private static async Task ServingAsync(RabbitWorkerHarness client, string name, ModelSet set) =>
        await client.Events.WaitAsync<WorkerHeartbeat>(h => h.WorkerId == Id(client, name) && ServedBy(h).Contains(set.Key), Generous);

    private static IEnumerable<string> ServedBy(WorkerHeartbeat beat) => beat.ModelSets?.Select(s => s.Key) ?? [];

    // Every job answered WorkflowCompleted exactly once (after a quiet second), with one JobTimings each.
    private static async Task<Dictionary<string, JobTimings>> AnsweredOnceAsync(RabbitWorkerHarness client, IEnumerable<string> ids)
    {
        var all = ids.ToList();
        foreach (var id in all)
        {
            Assert.IsType<WorkflowCompleted>(await client.Events.ResultAsync(id, Generous));
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        var completed = client.Events.All<WorkflowCompleted>().Where(c => all.Contains(c.JobId)).GroupBy(c => c.JobId).ToDictionary(g => g.Key, g => g.Count());
        var timings = client.Events.All<JobTimings>().Where(t => all.Contains(t.JobId)).GroupBy(t => t.JobId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(all, id => Assert.Equal(1, completed[id]));
        Assert.All(all, id => Assert.Single(timings[id]));
        Assert.DoesNotContain(client.Events.All<WorkflowFailed>(), f => all.Contains(f.JobId));
        return timings.ToDictionary(p => p.Key, p => p.Value[0]);
    }
}
