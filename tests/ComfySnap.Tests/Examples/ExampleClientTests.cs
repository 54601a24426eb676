using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Tests.Gateway.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Examples;

/// <summary>
/// The programs in examples/ against a real `serve` child worker (and the gateway in front of it):
/// the Python and Node.js publishers of plain JSON RunWorkflow, and a ComfyUI client library from
/// npm driving the gateway unchanged. Their packages come from `./comfysnap test`
/// (install_example_packages: python3-pika, npm ci in examples/node).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ExampleClientTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>, IDisposable
{
    private const string Python = "/usr/bin/python3";
    private const string Node = "/usr/bin/node";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];
    private readonly string _saved = TestEnvironment.NewTempDirectory("examples");

    [Fact]
    public Task Python_publisher_submits_plain_json_and_prints_workflow_completed() =>
        AssertPublisherAsync(Python, "examples/python/publish.py", $"py-{Guid.NewGuid():N}");

    [Fact]
    public Task Node_publisher_submits_plain_json_and_prints_workflow_completed() =>
        AssertPublisherAsync(Node, "examples/node/publish.mjs", $"node-{Guid.NewGuid():N}");

    [Fact]
    public async Task Comfyui_client_library_from_npm_queues_waits_and_downloads_through_the_gateway()
    {
        RequireNodeModules();
        var host = fixture.A.Address.Authority; // the library takes host:port, as for ComfyUI
        var answer = await RunAsync(Node, "examples/node/comfyui-client.mjs", "--host", host, "--save", _saved, "--timeout", "60");

        var promptId = answer["promptId"]!.GetValue<string>();
        Assert.True(answer["done"]!.GetValue<bool>());
        var images = answer["images"]!.AsArray();
        Assert.Equal(2, images.Count); // image-ops.json: batch of 2
        foreach (var image in images)
        {
            Assert.Equal(200, image!["status"]!.GetValue<int>());
            Assert.Equal("image/png", image["contentType"]!.GetValue<string>());
            var bytes = await File.ReadAllBytesAsync(image["savedTo"]!.GetValue<string>());
            Assert.Equal(image["size"]!.GetValue<int>(), bytes.Length);
            Assert.Equal(PngSignature, bytes[..4]);
        }

        // The library read /history in ComfyUI's shape; the gateway's own /history agrees.
        var listed = answer["historyOutputs"]!["5"]!["images"]!.AsArray();
        Assert.Equal(["ops_00001_.png", "ops_00002_.png"], listed.Select(i => i!["filename"]!.GetValue<string>()));
        var history = await fixture.A.GetJsonAsync($"/history/{promptId}");
        Assert.Equal("success", history[promptId]!["status"]!["status_str"]!.GetValue<string>());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_saved, recursive: true);
        }
        catch (IOException)
        {
            // leave temp files behind rather than fail a test
        }
    }

    private async Task AssertPublisherAsync(string program, string script, string jobId)
    {
        if (program == Node)
        {
            RequireNodeModules();
        }

        var answer = await RunAsync(
            program, script, "--queue", fixture.Bus.QueueName,
            "--job-id", jobId, "--save", _saved, "--timeout", "60");

        // What the script printed matches what a MassTransit consumer of the same events got.
        var completed = Assert.IsType<WorkflowCompleted>(await fixture.Bus.Events.ResultAsync(jobId, Timeout));
        Assert.Equal("WorkflowCompleted", answer["type"]!.GetValue<string>());
        Assert.Equal(jobId, answer["jobId"]!.GetValue<string>());
        var outputs = answer["outputs"]!.AsArray();
        Assert.Equal(completed.Outputs.Select(o => o.Sha256), outputs.Select(o => o!["sha256"]!.GetValue<string>()));
        Assert.Equal(2, outputs.Count);
        foreach (var output in outputs)
        {
            Assert.Equal("5", output!["nodeId"]!.GetValue<string>());
            Assert.Equal("image/png", output["contentType"]!.GetValue<string>());
            Assert.Null(output["inlineBytes"]); // printed without the bytes, which went to --save
            var bytes = await File.ReadAllBytesAsync(output["savedTo"]!.GetValue<string>());
            Assert.Equal(output["size"]!.GetValue<long>(), bytes.Length);
            Assert.Equal(output["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
    }

    /// <summary>Runs an example script; it must exit 0 and print its answer as the last stdout line.</summary>
    private static async Task<JsonNode> RunAsync(string program, params string[] arguments)
    {
        // The broker and its credentials travel in the environment, never on the command line.
        var result = await ExternalProgram.RunAsync(program, arguments, Timeout, environment: new Dictionary<string, string> { ["COMFYSNAP_AMQP"] = TestEnvironment.RabbitMqUri });
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {result}");
        var last = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        return JsonNode.Parse(last)!;
    }

    private static void RequireNodeModules()
    {
        var modules = Path.Combine(TestEnvironment.RepoRoot, "examples/node/node_modules");
        Assert.True(Directory.Exists(modules), $"{modules} is missing: `./comfysnap test` runs npm ci there (install_example_packages)");
    }
}
