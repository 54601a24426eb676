using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>
/// The node catalog a worker publishes: ComfyUI's object_info (served as is by the gateway) plus a
/// "comfysnap" section with what object_info cannot say and validation needs (which inputs are
/// model, input-folder or output-prefix names; declared image-size inputs; the engine's limits;
/// every model list; the node packs). Nothing per worker or per boot goes in, so identical
/// workers publish identical bytes and one content-addressed copy.
/// </summary>
public static class CatalogDocument
{
    /// <summary>Bumped when a reader of the previous shape would misread this one.</summary>
    public const int Schema = 1;

    public static JsonObject Build(INodeCatalog nodes, IFileCatalog files, EngineLimits limits, IEnumerable<CatalogPack> packs)
    {
        files = new ListedFiles(files, nodes.Nodes.SelectMany(n => n.Inputs).Select(i => i.ModelKind).OfType<string>());
        var extras = new JsonObject();
        foreach (var node in nodes.Nodes)
        {
            if (Extras(node) is { } extra)
            {
                extras[node.ClassType] = extra;
            }
        }

        return new JsonObject
        {
            ["schema"] = Schema,
            ["object_info"] = ObjectInfoWriter.All(nodes, files),
            ["comfysnap"] = new JsonObject
            {
                ["nodes"] = extras,
                ["models"] = new JsonObject(files.ModelKinds.Select(k => KeyValuePair.Create(k, (JsonNode?)Strings(files.Models(k))))),
                ["input_files"] = Strings(files.InputFiles),
                ["input_directory"] = files.InputDirectory,
                ["limits"] = new JsonObject
                {
                    ["max_nodes"] = limits.MaxNodes,
                    ["max_pixels"] = limits.MaxPixels,
                    ["max_batch_size"] = limits.MaxBatchSize,
                    ["max_steps"] = limits.MaxSteps,
                    ["max_side"] = limits.MaxSide,
                },
                ["node_packs"] = new JsonArray([.. packs.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.Name,
                    ["version"] = p.Version,
                    ["nodes"] = p.NodeCount,
                    ["error"] = p.Error,
                })]),
            },
        };
    }

    /// <summary>The catalog's id: the SHA-256 of its compact JSON, lower-case hex.</summary>
    public static string Id(string json) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

    private static JsonObject? Extras(NodeSpec node)
    {
        var files = new JsonObject();
        foreach (var input in node.Inputs.Where(i => i.FileSource != FileSource.None))
        {
            files[input.Name] = new JsonObject
            {
                ["source"] = FileSources.Name(input.FileSource),
                ["model_kind"] = input.ModelKind,
            };
        }

        var extra = new JsonObject();
        if (files.Count > 0)
        {
            extra["file_inputs"] = files;
        }

        if (node.ImageSize is { } size)
        {
            extra["image_size"] = new JsonObject { ["width"] = size.Width, ["height"] = size.Height, ["batch_size"] = size.BatchSize };
        }

        return extra.Count > 0 ? extra : null;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
