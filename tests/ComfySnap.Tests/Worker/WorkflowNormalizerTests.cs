using ComfySnap.Worker.Caching;
using ComfySnap.Engine.Graph;

namespace ComfySnap.Tests.Worker;

/// <summary>Canonical workflow form: id- and key-order-independent, sensitive to everything else.</summary>
public sealed class WorkflowNormalizerTests
{
    private const string Graph = """
        { "1": { "class_type": "EmptyImage", "inputs": { "width": 64, "height": 32, "batch_size": 1, "color": 0 } },
          "2": { "class_type": "ImageInvert", "inputs": { "image": ["1", 0] } },
          "3": { "class_type": "SaveImage", "inputs": { "images": ["2", 0], "filename_prefix": "x" } } }
        """;

    private static string Key(string json) => WorkflowNormalizer.Sha256Hex(WorkflowNormalizer.Normalize(WorkflowParser.Parse(json)));

    [Fact]
    public void Renamed_ids_and_reordered_keys_hash_the_same()
    {
        const string renamed = """
            { "save": { "inputs": { "filename_prefix": "x", "images": ["inv", 0] }, "class_type": "SaveImage" },
              "inv": { "class_type": "ImageInvert", "inputs": { "image": ["src", 0] } },
              "src": { "class_type": "EmptyImage", "inputs": { "color": 0, "batch_size": 1, "height": 32, "width": 64 } } }
            """;
        Assert.Equal(Key(Graph), Key(renamed));
        Assert.Equal(WorkflowNormalizer.Normalize(WorkflowParser.Parse(Graph)), WorkflowNormalizer.Normalize(WorkflowParser.Parse(renamed)));
    }

    [Fact]
    public void Links_are_rewritten_to_canonical_ids()
    {
        var canonical = WorkflowNormalizer.Normalize(WorkflowParser.Parse(Graph.Replace("\"1\"", "\"a\"").Replace("\"2\"", "\"b\"").Replace("\"3\"", "\"c\"")));
        Assert.DoesNotContain("\"a\"", canonical);
        Assert.DoesNotContain("\"b\"", canonical);
        Assert.Equal(Key(Graph), WorkflowNormalizer.Sha256Hex(canonical));
    }

    [Theory]
    [InlineData("\"width\": 64", "\"width\": 65")]
    [InlineData("\"filename_prefix\": \"x\"", "\"filename_prefix\": \"y\"")]
    [InlineData("\"ImageInvert\"", "\"ImageSharpen\"")]
    public void Any_other_change_changes_the_key(string from, string to) =>
        Assert.NotEqual(Key(Graph), Key(Graph.Replace(from, to)));

    [Fact]
    public void Rewiring_changes_the_key()
    {
        const string rewired = """
            { "1": { "class_type": "EmptyImage", "inputs": { "width": 64, "height": 32, "batch_size": 1, "color": 0 } },
              "2": { "class_type": "ImageInvert", "inputs": { "image": ["1", 0] } },
              "3": { "class_type": "SaveImage", "inputs": { "images": ["1", 0], "filename_prefix": "x" } } }
            """;
        Assert.NotEqual(Key(Graph), Key(rewired));
    }

    [Fact]
    public void File_fingerprints_change_the_key()
    {
        var workflow = WorkflowParser.Parse(Graph);
        var a = WorkflowNormalizer.Normalize(workflow, (node, input, _) => node.ClassType == "EmptyImage" && input == "width" ? "10:1" : null);
        var b = WorkflowNormalizer.Normalize(workflow, (node, input, _) => node.ClassType == "EmptyImage" && input == "width" ? "10:2" : null);
        Assert.NotEqual(a, b);
    }
}
