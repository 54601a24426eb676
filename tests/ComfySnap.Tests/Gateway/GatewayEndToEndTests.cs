using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Tests.Gateway.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Worker.Support;
using static ComfySnap.Tests.Gateway.Support.ComfyWebSocketClient;

namespace ComfySnap.Tests.Gateway;

/// <summary>The gateway as a ComfyUI client sees it, over the real RabbitMQ, Redis and a `serve` worker.</summary>
[Trait("Category", "Integration")]
public sealed partial class GatewayEndToEndTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string ImageOps => File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "workflows", "image-ops.json"));

    [Fact]
    public async Task Prompt_runs_with_comfyui_messages_in_order_then_history_and_view_serve_the_workers_images()
    {
        await using var ws = await ComfyWebSocketClient.ConnectAsync(fixture.A.Address);
        var greeting = ws.Messages[0];
        Assert.Equal("status", Type(greeting));
        Assert.Equal(ws.ClientId, Data(greeting)["sid"]!.GetValue<string>());
        Assert.NotNull(Data(greeting)["status"]!["exec_info"]!["queue_remaining"]);

        var promptId = await fixture.A.SubmitAsync(ImageOps, ws.ClientId);
        await ws.WaitForEndAsync(promptId, Timeout);

        var messages = ws.For(promptId);
        // progress (value/max) comes from nodes that report steps (here SaveImage, one per image): between its executing and executed.
        Assert.All(messages.Where(m => Type(m) == "progress"), p => Assert.True(Data(p)["max"]!.GetValue<int>() > 1 && Data(p)["node"] is not null));
        var sequence = messages.Where(m => Type(m) != "progress").Select(m => Type(m) == "executing" ? $"executing:{Data(m)["node"]?.GetValue<string>() ?? "null"}" : Type(m)).ToList();
        Assert.Equal(["execution_start", "execution_cached"], sequence[..2]);
        Assert.Equal(["executing:5", "executed", "execution_success", "executing:null"], sequence[^4..]);
        // The worker conflates progress while a publish is in flight, so a fast node's `executing` may
        // be skipped; those that come are in run order, each once.
        var nodes = sequence[2..^3].Select(s => Assert.IsType<string>(s.Split(':')[1])).ToList();
        Assert.Equal(nodes.Order(StringComparer.Ordinal).Distinct(), nodes);
        var executed = Data(messages.Single(m => Type(m) == "executed"));
        Assert.Equal("5", executed["node"]!.GetValue<string>());
        var images = executed["output"]!["images"]!.AsArray();
        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.Equal("output", i!["type"]!.GetValue<string>()));

        // History: ComfyUI's entry shape, outputs as in `executed`.
        var entry = (await fixture.A.GetJsonAsync($"/history/{promptId}"))[promptId]!;
        Assert.Equal(promptId, entry["prompt"]![1]!.GetValue<string>());
        Assert.Equal("EmptyImage", entry["prompt"]![2]!["1"]!["class_type"]!.GetValue<string>());
        Assert.Equal(ws.ClientId, entry["prompt"]![3]!["client_id"]!.GetValue<string>());
        Assert.Equal(["5"], entry["prompt"]![4]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("success", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.True(entry["status"]!["completed"]!.GetValue<bool>());
        Assert.Equal(["execution_start", "execution_cached", "execution_success"], entry["status"]!["messages"]!.AsArray().Select(m => m![0]!.GetValue<string>()));
        Assert.True(JsonNode.DeepEquals(images, entry["outputs"]!["5"]!["images"]));

        // /view: the very bytes the worker produced (its WorkflowCompleted says which).
        var completed = (WorkflowCompleted)await fixture.Bus.Events.ResultAsync(promptId, Timeout);
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i]!;
            var bytes = await fixture.A.Http.GetByteArrayAsync($"/view?filename={image["filename"]}&subfolder={image["subfolder"]}&type=output");
            Assert.Equal(completed.Outputs[i].Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.A.Http.GetAsync("/view?filename=../appsettings.json")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.A.Http.GetAsync($"/view?filename={images[0]!["filename"]}&subfolder=../..")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.A.Http.GetAsync("/view?filename=nothing.png")).StatusCode);

        // The same prompt again is answered from the output cache: every node reported cached.
        var again = await fixture.A.SubmitAsync(ImageOps, ws.ClientId);
        await ws.WaitForEndAsync(again, Timeout);
        var cached = Data(ws.For(again).Single(m => Type(m) == "execution_cached"));
        Assert.Equal(["1", "2", "3", "4", "5"], cached["nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains(ws.For(again), m => Type(m) == "executed");
    }

    [Fact]
    public async Task Invalid_prompt_is_a_400_with_comfyui_node_errors_and_nothing_is_queued()
    {
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "NoSuchNode", ["inputs"] = new JsonObject() },
            ["2"] = new JsonObject { ["class_type"] = "EmptyImage", ["inputs"] = new JsonObject { ["width"] = 64, ["height"] = 64, ["batch_size"] = 1 } },
            ["3"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("2", 0) } },
        };
        var (status, body) = await fixture.A.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = prompt, ["client_id"] = "invalid" });
        Assert.Equal(400, status);
        Assert.Equal("prompt_outputs_failed_validation", body!["error"]!["type"]!.GetValue<string>());
        var nodeErrors = body["node_errors"]!.AsObject();
        Assert.Equal("missing_node_type", nodeErrors["1"]!["errors"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("NoSuchNode", nodeErrors["1"]!["class_type"]!.GetValue<string>());
        var save = nodeErrors["3"]!;
        Assert.Equal("SaveImage", save["class_type"]!.GetValue<string>());
        Assert.Contains(save["errors"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "required_input_missing"
            && e["extra_info"]!["input_name"]!.GetValue<string>() == "filename_prefix");
        Assert.NotNull(save["dependent_outputs"]);

        var (noPromptStatus, noPrompt) = await fixture.A.PostJsonAsync("/api/prompt", new JsonObject { ["client_id"] = "invalid" });
        Assert.Equal(400, noPromptStatus);
        Assert.Equal("no_prompt", noPrompt!["error"]!["type"]!.GetValue<string>());
        Assert.Empty((await fixture.A.GetJsonAsync("/queue"))["queue_pending"]!.AsArray());
    }

    [Fact]
    public async Task Extra_data_webhook_gets_the_signed_result_and_a_bad_one_is_a_400()
    {
        await using var receiver = await LoopbackHttpServer.StartAsync((_, _) => Task.CompletedTask);
        var prompt = JsonNode.Parse(ImageOps)!;
        var (status, body) = await fixture.A.PostJsonAsync("/prompt", new JsonObject
        {
            ["prompt"] = prompt.DeepClone(),
            ["extra_data"] = new JsonObject { ["webhook"] = new JsonObject { ["url"] = $"{receiver.BaseUrl}/hook" } },
        });
        Assert.Equal(200, status);
        var promptId = body!["prompt_id"]!.GetValue<string>();
        var post = Assert.Single(await receiver.WaitForAsync(r => r.PathAndQuery == "/hook", 1, Timeout));
        Assert.True(ComfySnap.Worker.Webhooks.WebhookSignature.Verify(post.Headers[ComfySnap.Worker.Webhooks.WebhookSignature.Header], post.Body,
            System.Text.Encoding.UTF8.GetBytes(fixture.WebhookKey), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        var result = JsonNode.Parse(post.Body)!;
        Assert.Equal(promptId, result["jobId"]!.GetValue<string>());
        Assert.Equal("workflow.completed", result["event"]!.GetValue<string>());

        foreach (var bad in new JsonNode[] { "ftp://example.com/hook", "/relative", new JsonObject { ["uri"] = "http://x" }, 42 })
        {
            var (badStatus, error) = await fixture.A.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = prompt.DeepClone(), ["extra_data"] = new JsonObject { ["webhook"] = bad } });
            Assert.Equal(400, badStatus);
            Assert.Equal("invalid_webhook", error!["error"]!["type"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Interrupt_cancels_the_clients_running_prompt()
    {
        await using var ws = await ComfyWebSocketClient.ConnectAsync(fixture.B.Address);
        var promptId = await fixture.A.SubmitAsync(SlowWorkflow.Create(blurs: 12, side: 1024, seedColor: 7), ws.ClientId);
        await ws.WaitAsync(m => Type(m) == "executing" && Data(m)["node"]?.GetValue<string>() == "2", Timeout);
        var queue = await fixture.B.GetJsonAsync("/queue");
        Assert.Equal(promptId, queue["queue_running"]![0]![1]!.GetValue<string>());

        var (status, _) = await fixture.B.PostJsonAsync("/interrupt", new JsonObject { ["client_id"] = ws.ClientId });
        Assert.Equal(200, status);
        var interrupted = Data(await ws.WaitAsync(m => Type(m) == "execution_interrupted", Timeout));
        Assert.Equal(promptId, interrupted["prompt_id"]!.GetValue<string>());
        Assert.Contains("1", interrupted["executed"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("ImageBlur", interrupted["node_type"]!.GetValue<string>());
        await ws.WaitForEndAsync(promptId, Timeout);

        var entry = (await fixture.A.GetJsonAsync($"/history/{promptId}"))[promptId]!;
        Assert.Equal("error", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal("execution_interrupted", entry["status"]!["messages"]!.AsArray().Last()![0]!.GetValue<string>());
        Assert.Empty((await fixture.A.GetJsonAsync("/queue"))["queue_running"]!.AsArray());
    }

    [Fact]
    public async Task Two_gateways_share_prompts_and_history_and_a_restarted_gateway_keeps_it()
    {
        await using var ws = await ComfyWebSocketClient.ConnectAsync(fixture.B.Address);
        var promptId = await fixture.A.SubmitAsync(SlowWorkflow.Create(blurs: 1, side: 64, seedColor: 3), ws.ClientId);
        await ws.WaitForEndAsync(promptId, Timeout);
        Assert.Contains(ws.For(promptId), m => Type(m) == "execution_success");

        Assert.NotNull((await fixture.B.GetJsonAsync($"/history/{promptId}"))[promptId]);
        Assert.NotNull((await fixture.A.GetJsonAsync("/history"))[promptId]);
        await using (var restarted = await fixture.StartGatewayAsync())
        {
            var entry = (await restarted.GetJsonAsync("/history?max_items=50"))[promptId]!;
            var image = entry["outputs"]!["3"]!["images"]![0]!;
            var view = await restarted.Http.GetAsync($"/view?filename={image["filename"]}&type=output");
            Assert.Equal(HttpStatusCode.OK, view.StatusCode);
            Assert.Equal("image/png", view.Content.Headers.ContentType!.MediaType);
        }

        var (status, _) = await fixture.B.PostJsonAsync("/history", new JsonObject { ["delete"] = new JsonArray(promptId) });
        Assert.Equal(200, status);
        Assert.Empty((await fixture.A.GetJsonAsync($"/history/{promptId}")).AsObject());
    }

    [Fact]
    public async Task Twenty_clients_with_ten_prompts_each_get_exactly_their_own_events()
    {
        var workflow = SlowWorkflow.Create(blurs: 1, side: 32, seedColor: 11);
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => ComfyWebSocketClient.ConnectAsync(i % 2 == 0 ? fixture.A.Address : fixture.B.Address)));
        try
        {
            var submitted = await Task.WhenAll(clients.Select(async (client, i) =>
            {
                var gateway = i % 3 == 0 ? fixture.B : fixture.A;
                var ids = new List<string>();
                for (var n = 0; n < 10; n++)
                {
                    ids.Add(await gateway.SubmitAsync(workflow, client.ClientId));
                }

                return ids;
            }));
            var everyPrompt = submitted.SelectMany(ids => ids).ToHashSet();
            Assert.Equal(200, everyPrompt.Count);
            for (var i = 0; i < clients.Length; i++)
            {
                foreach (var id in submitted[i])
                {
                    await clients[i].WaitForEndAsync(id, Timeout);
                }

                var seen = clients[i].Messages.Select(m => m["data"]?["prompt_id"]?.GetValue<string>()).OfType<string>().ToHashSet();
                Assert.Equal(submitted[i].ToHashSet(), seen);
                Assert.All(submitted[i], id => Assert.Single(clients[i].For(id), m => Type(m) == "execution_success"));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Catalog_endpoints_answer_in_comfyui_shape()
    {
        var all = (await fixture.A.GetJsonAsync("/object_info")).AsObject();
        Assert.True(all.Count > 20);
        var save = all["SaveImage"]!;
        Assert.True(save["output_node"]!.GetValue<bool>());
        Assert.Equal("IMAGE", save["input"]!["required"]!["images"]![0]!.GetValue<string>());
        Assert.Equal(["images", "filename_prefix"], save["input_order"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()));

        var sampler = (await fixture.A.GetJsonAsync("/api/object_info/KSampler"))["KSampler"]!;
        Assert.Equal(["LATENT"], sampler["output"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal([false], sampler["output_is_list"]!.AsArray().Select(n => n!.GetValue<bool>()));
        Assert.Equal("sampling", sampler["category"]!.GetValue<string>());
        var steps = sampler["input"]!["required"]!["steps"]!;
        Assert.Equal("INT", steps[0]!.GetValue<string>());
        Assert.Equal(20, steps[1]!["default"]!.GetValue<int>());
        Assert.Contains("euler", sampler["input"]!["required"]!["sampler_name"]![0]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.IsType<JsonArray>(all["CheckpointLoaderSimple"]!["input"]!["required"]!["ckpt_name"]![0]);
        Assert.Empty((await fixture.A.GetJsonAsync("/object_info/NoSuchNode")).AsObject());

        Assert.Contains("checkpoints", (await fixture.A.GetJsonAsync("/models")).AsArray().Select(n => n!.GetValue<string>()));
        Assert.Empty((await fixture.A.GetJsonAsync("/models/upscale_models")).AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.A.Http.GetAsync("/models/nothing")).StatusCode);
        Assert.Empty((await fixture.A.GetJsonAsync("/embeddings")).AsArray());
        Assert.NotNull((await fixture.A.GetJsonAsync("/features"))["supports_preview_metadata"]);
        Assert.Equal("posix", (await fixture.A.GetJsonAsync("/system_stats"))["system"]!["os"]!.GetValue<string>());
        Assert.NotNull((await fixture.A.GetJsonAsync("/prompt"))["exec_info"]!["queue_remaining"]);
    }

    [Fact]
    public async Task Api_key_when_configured_is_required()
    {
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Gateway:ApiKey"] = "s3cret" });
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.GetAsync("/queue")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/queue");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Http.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Http.GetAsync("/queue?token=s3cret")).StatusCode);
    }
}
