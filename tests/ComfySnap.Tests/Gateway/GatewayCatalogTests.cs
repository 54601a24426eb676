using System.Net;
using System.Text.Json.Nodes;
using ComfySnap.Engine.Catalog;
using ComfySnap.Tests.Gateway.Support;
using StackExchange.Redis;
using static ComfySnap.Tests.Gateway.Support.ComfyWebSocketClient;

namespace ComfySnap.Tests.Gateway;

/// <summary>
/// The node catalog between `serve` workers and a gateway over the real RabbitMQ and Redis: the
/// gateway waits for one (503, not ready), validates with the one the fleet runs, and picks up a
/// node pack the fleet gains without a restart. The workers' /health and /ready, for real.
/// </summary>
[Trait("Category", "Integration")]
public sealed class GatewayCatalogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private const string GrayscalePrompt = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":16711680}},
         "2":{"class_type":"ImageGrayscale","inputs":{"image":["1",0]}},
         "3":{"class_type":"SaveImage","inputs":{"images":["2",0],"filename_prefix":"gray"}}}
        """;

    [Fact]
    public async Task Without_a_catalog_prompts_get_503_until_a_worker_publishes_one_and_both_answer_health_and_ready()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        await using var gateway = await GatewayInstance.StartAsync(bus.Settings);

        Assert.Equal(HttpStatusCode.OK, (await gateway.Http.GetAsync("/health")).StatusCode);
        var (readyStatus, ready) = await GetAsync(gateway.Http, "/ready");
        Assert.Equal(503, readyStatus);
        Assert.StartsWith("missing", ready!["checks"]!["catalog"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("ok", ready["checks"]!["redis"]!.GetValue<string>());
        var (status, body) = await gateway.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = JsonNode.Parse(GrayscalePrompt) });
        Assert.Equal(503, status);
        Assert.Equal("no_node_catalog", body!["error"]!["type"]!.GetValue<string>());
        Assert.Contains("worker", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await gateway.Http.GetAsync("/object_info")).StatusCode);

        var port = FreePorts.Take(1)[0];
        var workerId = $"catalog-{Guid.NewGuid():N}"[..20];
        using var health = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        await using var worker = await WorkerProcess.StartAsync(new Dictionary<string, string?>(bus.Settings) { ["Health:Port"] = $"{port}" }, workerId);
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("/health")).StatusCode);
        var (workerStatus, workerReady) = await GetAsync(health, "/ready");
        Assert.Equal(200, workerStatus);
        Assert.Equal(workerId, workerReady!["checks"]!["worker_id"]!.GetValue<string>());

        // Announced on pub/sub: the gateway needs no restart.
        await gateway.WaitReadyAsync();
        Assert.Contains("SaveImage", (await gateway.GetJsonAsync("/object_info")).AsObject().Select(n => n.Key));
        await using var ws = await ConnectAsync(gateway.Address);
        var promptId = await gateway.SubmitAsync(GrayscalePrompt.Replace("ImageGrayscale", "ImageInvert", StringComparison.Ordinal), ws.ClientId);
        await ws.WaitForEndAsync(promptId, Timeout);
        Assert.Contains(ws.For(promptId), m => Type(m) == "execution_success");

        // The worker's record names the catalog the gateway uses.
        var (_, gatewayReady) = await GetAsync(gateway.Http, "/ready");
        await using var redis = await ConnectionMultiplexer.ConnectAsync(bus.Settings["Cache:Redis"]!);
        var keys = new CatalogKeys(bus.Settings["Cache:KeyPrefix"]!);
        var record = JsonNode.Parse((await redis.GetDatabase().StringGetAsync(keys.Worker(workerId))).ToString())!;
        Assert.Equal(gatewayReady!["checks"]!["catalog_id"]!.GetValue<string>(), record["catalog"]!.GetValue<string>());
        Assert.Equal("cold_boot", record["mode"]!.GetValue<string>());

        // A stopping worker is no longer ready.
        worker.Terminate();
        await WaitAsync(async () => (await TryGetStatusAsync(health, "/ready")) is not 200, "the worker's /ready to turn 503 or close");
    }

    [Fact]
    public async Task A_fleet_that_gains_a_node_pack_is_validated_with_it_without_a_gateway_restart()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        await using var plain = await WorkerProcess.StartAsync(bus.Settings, $"plain-{Guid.NewGuid():N}"[..16]);
        await using var gateway = await GatewayInstance.StartAsync(bus.Settings);
        await gateway.WaitReadyAsync();

        var (status, body) = await gateway.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = JsonNode.Parse(GrayscalePrompt) });
        Assert.Equal(400, status);
        Assert.Equal("missing_node_type", body!["node_errors"]!["2"]!["errors"]![0]!["type"]!.GetValue<string>());

        // A new worker with a node pack: its catalog becomes the fleet's, the old worker leaves.
        var packs = Path.Combine(bus.Root, "node_packs_v2");
        TestEnvironment.InstallExamplePack(packs);
        await using var withPack = await WorkerProcess.StartAsync(
            new Dictionary<string, string?>(bus.Settings) { ["NodePacks:Directory"] = packs }, $"pack-{Guid.NewGuid():N}"[..16]);
        plain.Dispose();
        await WaitAsync(async () => (await gateway.GetJsonAsync("/object_info/ImageGrayscale")).AsObject().Count == 1, "the gateway to load the new catalog");

        await using var ws = await ConnectAsync(gateway.Address);
        var promptId = await gateway.SubmitAsync(GrayscalePrompt, ws.ClientId);
        await ws.WaitForEndAsync(promptId, Timeout);
        Assert.Contains(ws.For(promptId), m => Type(m) == "execution_success");
    }

    private static async Task<(int Status, JsonNode? Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text));
    }

    private static async Task<int?> TryGetStatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("waited 30 s for " + what);
            }

            await Task.Delay(100);
        }
    }
}
