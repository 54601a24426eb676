using System.Text.Json.Nodes;
using ComfySnap.Engine;
using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Nodes;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Catalog;

/// <summary>The catalog document of what this worker runs now: its registered nodes, node packs, model and input files, limits.</summary>
public sealed class WorkerCatalog(NodeRegistry registry, IFileCatalog files, EngineBoot boot, IOptions<EngineOptions> engine)
{
    /// <summary>The document (compact JSON), its id, and how many node types it describes.</summary>
    public (string Id, string Json, int NodeCount) Build()
    {
        var packs = boot.Packs.Select(p => new CatalogPack(p.Name, p.Version, p.NodeCount, p.Error));
        JsonObject document = CatalogDocument.Build(registry, files, engine.Value.Limits, packs);
        var json = document.ToJsonString();
        return (CatalogDocument.Id(json), json, registry.Nodes.Count);
    }
}
