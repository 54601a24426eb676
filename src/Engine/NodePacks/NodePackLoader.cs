using System.Diagnostics;
using System.Reflection;
using ComfySnap.NodeSdk;
using ComfySnap.Engine.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Engine.NodePacks;

/// <summary>What happened to one node pack at boot.</summary>
public sealed record NodePackLoadResult(string Name, string Version, string Path, double Milliseconds, int NodeCount, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>
/// Loads every node pack folder (PACK/PACK.dll plus its dependencies) in its own load context,
/// times each like ComfyUI's "Import times for custom nodes", and registers its nodes.
/// A broken pack is reported and skipped, never fatal. Packs load in name order, so duplicate
/// class_type resolution is deterministic (first wins, see <see cref="NodeRegistry"/>).
/// </summary>
public sealed class NodePackLoader(IOptions<NodePackOptions> options, NodeRegistry registry, ILogger<NodePackLoader> logger)
{
    public IReadOnlyList<NodePackLoadResult> LoadAll(CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(options.Value.Directory);
        if (!Directory.Exists(root))
        {
            logger.LogInformation("No node pack folder at {Directory}", root);
            return [];
        }

        var hostAssemblies = NodePackLoadContext.HostAssemblyNames();
        var results = new List<NodePackLoadResult>();
        foreach (var folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(LoadOne(folder, hostAssemblies));
        }

        logger.LogInformation("Import times for custom nodes:{Table}", string.Concat(results.OrderBy(r => r.Milliseconds)
            .Select(r => $"\n  {r.Milliseconds / 1000:0.0} seconds{(r.Failed ? " (IMPORT FAILED)" : "")}: {r.Path}")));
        return results;
    }

    private NodePackLoadResult LoadOne(string folder, IReadOnlySet<string> hostAssemblies)
    {
        var name = Path.GetFileName(folder);
        var watch = Stopwatch.StartNew();
        try
        {
            var main = Path.Combine(folder, name + ".dll");
            if (!File.Exists(main))
            {
                throw new FileNotFoundException($"node pack '{name}' has no {name}.dll");
            }

            var context = new NodePackLoadContext(main, hostAssemblies);
            var assembly = context.LoadFromAssemblyPath(main);
            var nodes = assembly.GetTypes()
                .Where(t => t is { IsAbstract: false, IsClass: true } && typeof(ComfyNode).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
                .Select(t => (ComfyNode)Activator.CreateInstance(t)!)
                .OrderBy(n => n.ClassType, StringComparer.Ordinal)
                .ToList();
            foreach (var node in nodes)
            {
                registry.Register(node, $"node pack {name}");
            }

            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "0";
            logger.LogInformation("Loaded node pack {Pack} {Version}: {NodeCount} node(s) in {ElapsedMs:0.0} ms", name, version, nodes.Count, watch.Elapsed.TotalMilliseconds);
            return new NodePackLoadResult(name, version, folder, watch.Elapsed.TotalMilliseconds, nodes.Count, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var reason = e is ReflectionTypeLoadException r ? string.Join("; ", r.LoaderExceptions.Select(x => x?.Message)) : e.Message;
            logger.LogError("Node pack {Pack} failed to load and is skipped: {Reason}", name, reason);
            return new NodePackLoadResult(name, "?", folder, watch.Elapsed.TotalMilliseconds, 0, reason);
        }
    }
}
