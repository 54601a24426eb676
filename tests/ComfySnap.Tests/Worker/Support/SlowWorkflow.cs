using System.Text.Json.Nodes;

namespace ComfySnap.Tests.Worker.Support;

/// <summary>A workflow that takes seconds: a large image through a chain of wide blurs.</summary>
public static class SlowWorkflow
{
    public static string Create(int blurs = 8, int side = 2048, int seedColor = 1)
    {
        var root = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "EmptyImage", ["inputs"] = new JsonObject { ["width"] = side, ["height"] = side, ["batch_size"] = 1, ["color"] = seedColor } },
        };
        for (var i = 0; i < blurs; i++)
        {
            root[$"{i + 2}"] = new JsonObject
            {
                ["class_type"] = "ImageBlur",
                ["inputs"] = new JsonObject { ["image"] = new JsonArray($"{i + 1}", 0), ["blur_radius"] = 31, ["sigma"] = 5.0 + (i * 0.1) },
            };
        }

        root[$"{blurs + 2}"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray($"{blurs + 1}", 0), ["filename_prefix"] = "slow" } };
        return root.ToJsonString();
    }
}
