using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Gateway.Relay;
using ComfySnap.Tests.Gateway.Support;

namespace ComfySnap.Tests.Gateway;

/// <summary>A prompt's <c>extra_data.delivery</c> through the gateway to the worker and the real object store (s3rver).</summary>
public sealed partial class GatewayEndToEndTests
{
    [Fact]
    public async Task Extra_data_delivery_writes_the_outputs_to_the_bucket_as_webp_and_bad_options_are_a_400()
    {
        await using var buckets = new TestBuckets();
        var bucket = await buckets.CreateAsync("gateway");
        await using var ws = await ComfyWebSocketClient.ConnectAsync(fixture.A.Address);
        var prompt = JsonNode.Parse(ImageOps)!;
        var (status, body) = await fixture.A.PostJsonAsync("/prompt", new JsonObject
        {
            ["prompt"] = prompt.DeepClone(),
            ["client_id"] = ws.ClientId,
            ["extra_data"] = new JsonObject { ["delivery"] = new JsonObject { ["bucket"] = bucket, ["key_prefix"] = "gw/", ["format"] = "webp", ["quality"] = 80 } },
        });
        Assert.Equal(200, status);
        var promptId = body!["prompt_id"]!.GetValue<string>();
        await ws.WaitForEndAsync(promptId, Timeout);

        var completed = Assert.IsType<WorkflowCompleted>(await fixture.Bus.Events.ResultAsync(promptId, Timeout));
        var images = (await fixture.A.GetJsonAsync($"/history/{promptId}"))[promptId]!["outputs"]!["5"]!["images"]!.AsArray();
        Assert.Equal(completed.Outputs.Count, images.Count);
        Assert.Equal(completed.Outputs.Select(o => $"gw/{promptId}/{o.FileName}").Order(StringComparer.Ordinal), await buckets.KeysAsync(bucket));
        foreach (var (image, file) in images.Zip(completed.Outputs))
        {
            Assert.Equal(PromptRelay.ObjectOutputType, image!["type"]!.GetValue<string>());
            Assert.EndsWith(".webp", image["filename"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal($"s3://{bucket}/gw/{promptId}/{file.FileName}", image["object_uri"]!.GetValue<string>());
            Assert.Equal(file.Url, image["url"]!.GetValue<string>());
            var stored = await buckets.GetAsync(bucket, $"gw/{promptId}/{file.FileName}");
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(stored)));
            Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(stored, 0, 4));
            Assert.Equal("WEBP", System.Text.Encoding.ASCII.GetString(stored, 8, 4));
        }

        foreach (var (bad, says) in new (JsonNode, string)[]
        {
            ("s3://bucket", "must be an object"),
            (new JsonObject { ["bucket"] = "Not_A_Bucket" }, "not a valid bucket name"),
            (new JsonObject { ["bucket"] = bucket, ["key_prefix"] = "../elsewhere/" }, "not a usable key prefix"),
            (new JsonObject { ["key_prefix"] = "renders/" }, "key_prefix needs a bucket"),
            (new JsonObject { ["format"] = "gif" }, "format 'gif' is not one of png, webp, jpeg"),
            (new JsonObject { ["format"] = "jpeg", ["quality"] = 0 }, "quality 0 is not a whole number from 1 to 100"),
            (new JsonObject { ["quality"] = "high" }, "quality \"high\""),
            (new JsonObject { ["formt"] = "webp" }, "unknown key 'formt'"),
        })
        {
            var (badStatus, error) = await fixture.A.PostJsonAsync("/prompt", new JsonObject { ["prompt"] = prompt.DeepClone(), ["extra_data"] = new JsonObject { ["delivery"] = bad } });
            Assert.Equal(400, badStatus);
            Assert.Equal("invalid_delivery", error!["error"]!["type"]!.GetValue<string>());
            Assert.Contains(says, error["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }
}
