using System.Text.Json.Nodes;
using ComfySnap.Engine.Catalog;
using ComfySnap.Gateway.Endpoints;
using ComfySnap.Tests.Gateway.Support;
using ComfySnap.Tests.Worker.Support;
using StackExchange.Redis;
using static ComfySnap.Tests.Gateway.Support.ComfyWebSocketClient;

namespace ComfySnap.Tests.Gateway;

/// <summary>The prompt's path through the gateway: its number and record, the order of `executed` and the history entry, Redis going away.</summary>
public sealed partial class GatewayEndToEndTests
{
    [Fact]
    public async Task Executed_goes_out_before_the_history_entry_which_is_there_by_execution_success()
    {
        await using var ws = await ComfyWebSocketClient.ConnectAsync(fixture.A.Address);
        var promptId = await fixture.A.SubmitAsync(SlowWorkflow.Create(blurs: 1, side: 32, seedColor: Random.Shared.Next(1, 0xFFFFFF)), ws.ClientId);

        // Read the history the moment execution_success arrives: the entry must already be there, out of the queue.
        await ws.WaitAsync(m => Type(m) == "execution_success" && Data(m)["prompt_id"]?.GetValue<string>() == promptId, Timeout);
        var entry = (await fixture.B.GetJsonAsync($"/history/{promptId}"))[promptId];
        var queue = await fixture.B.GetJsonAsync("/queue");
        Assert.NotNull(entry);
        Assert.DoesNotContain(queue["queue_running"]!.AsArray().Concat(queue["queue_pending"]!.AsArray()), item => item![1]!.GetValue<string>() == promptId);

        var messages = ws.For(promptId).Select(Type).ToList();
        Assert.True(messages.IndexOf("executed") >= 0 && messages.IndexOf("executed") < messages.IndexOf("execution_success"), string.Join(", ", messages));
        var executed = Data(ws.For(promptId).Single(m => Type(m) == "executed"));
        Assert.True(JsonNode.DeepEquals(executed["output"]!["images"], entry!["outputs"]![executed["node"]!.GetValue<string>()]!["images"]));
    }

    [Fact]
    public async Task Numbers_come_with_the_record_in_order_and_front_goes_before_them()
    {
        await using var ws = await ComfyWebSocketClient.ConnectAsync(fixture.A.Address);
        var color = Random.Shared.Next(1, 0xFFFFFF);
        var (firstStatus, first) = await fixture.A.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = JsonNode.Parse(SlowWorkflow.Create(blurs: 1, side: 32, seedColor: color)), ["client_id"] = ws.ClientId });
        var (secondStatus, second) = await fixture.B.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = JsonNode.Parse(SlowWorkflow.Create(blurs: 1, side: 32, seedColor: color + 1)), ["client_id"] = ws.ClientId, ["front"] = true });
        var (givenStatus, given) = await fixture.A.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = JsonNode.Parse(SlowWorkflow.Create(blurs: 1, side: 32, seedColor: color + 2)), ["client_id"] = ws.ClientId, ["number"] = 7.5 });
        Assert.Equal([200, 200, 200], new[] { firstStatus, secondStatus, givenStatus });

        // Both gateways draw from the one counter; front is ComfyUI's negated number; a given number is kept.
        var n1 = first!["number"]!.GetValue<double>();
        var n2 = second!["number"]!.GetValue<double>();
        Assert.True(n1 >= 0);
        Assert.Equal(-(n1 + 1), n2);
        Assert.Equal(7.5, given!["number"]!.GetValue<double>());

        foreach (var (answer, number) in new[] { (first, n1), (second, n2), (given, 7.5) })
        {
            var promptId = answer!["prompt_id"]!.GetValue<string>();
            await ws.WaitForEndAsync(promptId, Timeout);
            // The stored record carries the number the answer gave (the history's queue item is built from it).
            var entry = (await fixture.A.GetJsonAsync($"/history/{promptId}"))[promptId]!;
            Assert.Equal(number, entry["prompt"]![0]!.GetValue<double>());
            Assert.Equal(promptId, entry["prompt"]![1]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Redis_gone_at_post_is_a_503_naming_it_and_no_job_is_sent()
    {
        await using var redis = await PrivateRedis.StartAsync(CancellationToken.None);
        var prefix = fixture.Bus.Settings["Cache:KeyPrefix"]!;
        await CopyCatalogAsync(fixture.Bus.Settings["Cache:Redis"]!, redis.Endpoint, new CatalogKeys(prefix));
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Cache:Redis"] = redis.Endpoint });
        await gateway.WaitReadyAsync();

        await redis.StopAsync(CancellationToken.None);
        var promptId = Guid.NewGuid().ToString();
        var (status, body) = await gateway.PostJsonAsync("/prompt", new JsonObject
        {
            ["prompt"] = JsonNode.Parse(SlowWorkflow.Create(blurs: 1, side: 32, seedColor: Random.Shared.Next(1, 0xFFFFFF))), ["prompt_id"] = promptId,
        });

        Assert.Equal(503, status);
        Assert.Equal(PromptEndpoints.RedisUnavailable, body!["error"]!["type"]!.GetValue<string>());
        Assert.Contains("Nothing was sent", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // The worker on the queue would answer a job it got within a second or two.
        await Assert.ThrowsAsync<TimeoutException>(() => fixture.Bus.Events.ResultAsync(promptId, TimeSpan.FromSeconds(5)));
    }

    private static async Task CopyCatalogAsync(string from, string to, CatalogKeys keys)
    {
        await using var source = await ConnectionMultiplexer.ConnectAsync(from);
        await using var target = await ConnectionMultiplexer.ConnectAsync(to);
        var latest = await source.GetDatabase().StringGetAsync(keys.Latest);
        Assert.False(latest.IsNullOrEmpty, "the fixture's worker published no catalog");
        var document = await source.GetDatabase().StringGetAsync(keys.Document(latest.ToString()));
        await target.GetDatabase().StringSetAsync(keys.Document(latest.ToString()), document);
        await target.GetDatabase().StringSetAsync(keys.Latest, latest);
    }
}
