using System.Text.Json.Nodes;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>One LoRA node of a test workflow: LoraLoader, or LoraLoaderModelOnly when <see cref="ModelOnly"/>.</summary>
public sealed record LoraStep(string Lora, double StrengthModel, double StrengthClip = 0, bool ModelOnly = false);

/// <summary>
/// The tiny checkpoint's txt2img graph (ComfyUI API format, 64x64, 3 euler steps) with LoRA nodes
/// chained between the checkpoint and the encoders/sampler, and optionally a probe node (any
/// MODEL, CLIP -> MODEL, CLIP node) right before them.
/// </summary>
public static class LoraWorkflow
{
    public static string Txt2Img(IEnumerable<LoraStep> loras, string? probe = null, string prompt = "a red cat on a mat")
    {
        var graph = new JsonObject
        {
            ["4"] = Node("CheckpointLoaderSimple", new JsonObject { ["ckpt_name"] = TinyCheckpointFixture.FileName }),
        };
        (string Node, int Output) model = ("4", 0), clip = ("4", 1);
        var id = 20;
        foreach (var step in loras)
        {
            var node = (id++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var inputs = new JsonObject { ["model"] = Link(model), ["lora_name"] = step.Lora, ["strength_model"] = step.StrengthModel };
            if (step.ModelOnly)
            {
                graph[node] = Node("LoraLoaderModelOnly", inputs);
                model = (node, 0);
                continue;
            }

            inputs["clip"] = Link(clip);
            inputs["strength_clip"] = step.StrengthClip;
            graph[node] = Node("LoraLoader", inputs);
            (model, clip) = ((node, 0), (node, 1));
        }

        if (probe is not null)
        {
            graph["30"] = Node(probe, new JsonObject { ["model"] = Link(model), ["clip"] = Link(clip) });
            (model, clip) = (("30", 0), ("30", 1));
        }

        graph["5"] = Node("EmptyLatentImage", new JsonObject { ["width"] = 64, ["height"] = 64, ["batch_size"] = 1 });
        graph["6"] = Node("CLIPTextEncode", new JsonObject { ["clip"] = Link(clip), ["text"] = prompt });
        graph["7"] = Node("CLIPTextEncode", new JsonObject { ["clip"] = Link(clip), ["text"] = "blurry" });
        graph["3"] = Node("KSampler", new JsonObject
        {
            ["model"] = Link(model), ["positive"] = Link(("6", 0)), ["negative"] = Link(("7", 0)), ["latent_image"] = Link(("5", 0)),
            ["seed"] = 19, ["steps"] = 3, ["cfg"] = 7.0, ["sampler_name"] = "euler", ["scheduler"] = "normal", ["denoise"] = 1.0,
        });
        graph["8"] = Node("VAEDecode", new JsonObject { ["samples"] = Link(("3", 0)), ["vae"] = Link(("4", 2)) });
        graph["9"] = Node("SaveImage", new JsonObject { ["images"] = Link(("8", 0)), ["filename_prefix"] = "lora" });
        return graph.ToJsonString();
    }

    private static JsonObject Node(string classType, JsonObject inputs) => new() { ["class_type"] = classType, ["inputs"] = inputs };

    private static JsonArray Link((string Node, int Output) source) => [source.Node, source.Output];
}
