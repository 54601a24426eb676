using System.Reflection;
using System.Runtime.Loader;

namespace ComfySnap.Engine.NodePacks;

/// <summary>
/// One node pack's own load context: its private dependencies load from its folder, while the
/// assemblies the host already has (NodeSdk, TorchSharp, the framework) are shared, so a pack's
/// nodes and tensors are the host's types.
/// </summary>
internal sealed class NodePackLoadContext(string mainAssemblyPath, IReadOnlySet<string> hostAssemblies)
    : AssemblyLoadContext(Path.GetFileNameWithoutExtension(mainAssemblyPath))
{
    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } name && hostAssemblies.Contains(name))
        {
            return null; // fall back to the default context
        }

        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

    /// <summary>Names of every assembly the host can load itself (its folder and the framework).</summary>
    public static IReadOnlySet<string> HostAssemblyNames()
    {
        var tpa = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return tpa.Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Concat(AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).OfType<string>())
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
