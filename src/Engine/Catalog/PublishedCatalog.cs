using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySnap.Engine.Validation;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>
/// A catalog document the workers published, read back: its node types, model and input file
/// lists, the workers' limits, and a validator over them that runs the declared checks only
/// (node code never runs here). Immutable: a newer catalog is a new instance.
/// </summary>
public sealed class PublishedCatalog : INodeCatalog, IFileCatalog
{
    private readonly Dictionary<string, NodeSpec> _byClass;
    private readonly Dictionary<string, IReadOnlyList<string>> _models;
    private readonly Dictionary<string, HashSet<string>> _modelSets;
    private readonly HashSet<string> _inputs;
    private readonly JsonObject _objectInfo;

    private PublishedCatalog(string id, JsonObject objectInfo, IReadOnlyList<NodeSpec> nodes, Dictionary<string, IReadOnlyList<string>> models,
        IReadOnlyList<string> inputFiles, string inputDirectory, EngineLimits limits, IReadOnlyList<CatalogPack> packs)
    {
        Id = id;
        _objectInfo = objectInfo;
        Nodes = nodes;
        _byClass = nodes.ToDictionary(n => n.ClassType, StringComparer.Ordinal);
        _models = models;
        _modelSets = models.ToDictionary(m => m.Key, m => m.Value.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        InputFiles = inputFiles;
        _inputs = inputFiles.ToHashSet(StringComparer.Ordinal);
        InputDirectory = inputDirectory;
        Limits = limits;
        Packs = packs;
        ObjectInfoJson = objectInfo.ToJsonString();
        Validator = new WorkflowValidator(this, this, new DeclaredNodeChecks(limits), limits);
    }

    /// <summary>The content hash the document was published under.</summary>
    public string Id { get; }

    public IReadOnlyList<NodeSpec> Nodes { get; }

    public IReadOnlyList<string> ModelKinds => [.. _models.Keys];

    public IReadOnlyList<string> InputFiles { get; }

    public string InputDirectory { get; }

    public EngineLimits Limits { get; }

    public IReadOnlyList<CatalogPack> Packs { get; }

    /// <summary>ComfyUI's /object_info answer, serialized once.</summary>
    public string ObjectInfoJson { get; }

    /// <summary>The workflow validator over this catalog.</summary>
    public WorkflowValidator Validator { get; }

    public NodeSpec? Find(string classType) => _byClass.GetValueOrDefault(classType);

    /// <summary>One node's object_info entry (<c>{class: info}</c>) as JSON, or null for an unknown class.</summary>
    public string? ObjectInfoOf(string classType) =>
        _objectInfo[classType] is { } info ? new JsonObject { [classType] = info.DeepClone() }.ToJsonString() : null;

    public IReadOnlyList<string> Models(string kind) => _models.GetValueOrDefault(kind) ?? [];

    // Names as a worker's file system would resolve them: "a//b" and "a\b" are "a/b".
    public bool HasModel(string kind, string name) =>
        _modelSets.TryGetValue(kind, out var names) && names.Contains(string.Join('/', name.Split('/', '\\').Where(p => p.Length > 0)));

    public bool HasInput(string name) => _inputs.Contains(name);

    /// <summary>Reads a published document; throws <see cref="JsonException"/> when it is not one this code understands.</summary>
    public static PublishedCatalog Parse(string id, string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("the catalog is not a JSON object");
        if (root["schema"] is not JsonValue schema || !schema.TryGetValue<int>(out var version) || version != CatalogDocument.Schema)
        {
            throw new JsonException($"catalog schema {root["schema"]?.ToJsonString() ?? "missing"}; this gateway reads schema {CatalogDocument.Schema}");
        }

        var objectInfo = root["object_info"] as JsonObject ?? throw new JsonException("the catalog has no object_info");
        var extras = root["comfysnap"] as JsonObject ?? [];
        var nodeExtras = extras["nodes"] as JsonObject;
        var nodes = objectInfo.Select(n => ObjectInfoReader.Read(n.Key, n.Value as JsonObject ?? throw new JsonException($"object_info of {n.Key} is not an object"), nodeExtras?[n.Key] as JsonObject)).ToList();
        var models = (extras["models"] as JsonObject ?? []).ToDictionary(m => m.Key, m => (IReadOnlyList<string>)Strings(m.Value), StringComparer.Ordinal);
        var inputs = Strings(extras["input_files"]);
        var limits = extras["limits"] as JsonObject;
        var defaults = new EngineLimits();
        return new PublishedCatalog(
            id,
            objectInfo,
            nodes,
            models,
            inputs,
            extras["input_directory"]?.GetValue<string>() ?? "input",
            new EngineLimits
            {
                MaxNodes = limits?["max_nodes"]?.GetValue<int>() ?? defaults.MaxNodes,
                MaxPixels = limits?["max_pixels"]?.GetValue<long>() ?? defaults.MaxPixels,
                MaxBatchSize = limits?["max_batch_size"]?.GetValue<int>() ?? defaults.MaxBatchSize,
                MaxSteps = limits?["max_steps"]?.GetValue<int>() ?? defaults.MaxSteps,
                MaxSide = limits?["max_side"]?.GetValue<int>() ?? defaults.MaxSide,
            },
            [.. (extras["node_packs"] as JsonArray ?? []).OfType<JsonObject>().Select(p => new CatalogPack(
                p["name"]?.GetValue<string>() ?? "?", p["version"]?.GetValue<string>() ?? "?", p["nodes"]?.GetValue<int>() ?? 0, p["error"]?.GetValue<string>()))]);
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null).OfType<string>()] : [];
}
