using System.Text.Json;
using ComfySnap.NodeSdk;
using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Nodes.Core;

namespace ComfySnap.Tests.Nodes;

/// <summary>Runs workflows/image-ops.json through the nodes with a minimal in-test evaluator.</summary>
public sealed class ImageOpsWorkflowTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Fact]
    public async Task The_image_ops_workflow_saves_two_inverted_512x384_images()
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepoRoot, "workflows", "image-ops.json")));
        var nodes = CoreNodes.All().ToDictionary(n => n.ClassType);
        var results = new Dictionary<string, NodeResult>();

        var saved = await EvaluateAsync("5", document.RootElement, nodes, results);

        Assert.Equal(2, saved.Artifacts.Count);
        Assert.All(saved.Artifacts, a => Assert.Equal(new PngHeader(512, 384, 8, 2), PngHeader.Read(a.Bytes.Span)));

        // Colour 0xFF8000 blurred (flat stays flat), scaled, inverted: 0x007FFF, within the uint8 step.
        var pixel = (TorchSharp.torch.Tensor)results["4"].Values[0]!;
        Assert.Equal(new[] { 0f, 127f / 255, 1f }, pixel[0, 100, 100].data<float>().ToArray(), new ToleranceComparer(1e-5));
    }

    // Depth-first: links ["id", output] are evaluated before the node that uses them.
    private async Task<NodeResult> EvaluateAsync(string id, JsonElement workflow, Dictionary<string, ComfyNode> nodes, Dictionary<string, NodeResult> results)
    {
        if (results.TryGetValue(id, out var done))
        {
            return done;
        }

        var entry = workflow.GetProperty(id);
        var node = nodes[entry.GetProperty("class_type").GetString()!];
        var values = new Dictionary<string, object?>();
        foreach (var input in entry.GetProperty("inputs").EnumerateObject())
        {
            values[input.Name] = input.Value.ValueKind switch
            {
                JsonValueKind.Array => (await EvaluateAsync(input.Value[0].GetString()!, workflow, nodes, results)).Values[input.Value[1].GetInt32()],
                JsonValueKind.Number when input.Value.TryGetInt64(out var l) => l,
                JsonValueKind.Number => input.Value.GetDouble(),
                _ => input.Value.GetString(),
            };
        }

        var result = await node.ExecuteAsync(new NodeInputs(values), harness.Context, CancellationToken.None);
        results[id] = result;
        return result;
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }

    public void Dispose() => harness.Dispose();
}
