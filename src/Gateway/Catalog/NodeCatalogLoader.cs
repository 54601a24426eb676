using ComfySnap.Engine.Nodes;
using ComfySnap.Engine.NodePacks;
using ComfySnap.Nodes;

namespace ComfySnap.Gateway.Catalog;

/// <summary>
/// Fills the node registry at start as a worker's boot does (built-in nodes, then every node pack
/// in name order), without the torch, model-preload and warm-up phases: the gateway only
/// validates prompts and describes nodes.
/// </summary>
public sealed class NodeCatalogLoader(NodeRegistry registry, NodePackLoader packs, ILogger<NodeCatalogLoader> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var node in BuiltInNodes.All())
        {
            registry.Register(node, "built-in");
        }

        var loaded = packs.LoadAll(cancellationToken);
        logger.LogInformation("Node catalog: {NodeCount} node types, {PackCount} node pack(s)", registry.All.Count, loaded.Count);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
