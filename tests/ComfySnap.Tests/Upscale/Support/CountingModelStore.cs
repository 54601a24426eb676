using ComfySnap.NodeSdk;

namespace ComfySnap.Tests.Upscale.Support;

/// <summary>A model store over one folder per kind that caches by kind+name and counts real loads.</summary>
public sealed class CountingModelStore(string modelKind, string root) : IModelStore, IDisposable
{
    private readonly Dictionary<(string Kind, string Name), object> loaded = [];
    private readonly SemaphoreSlim gate = new(1, 1);

    public int LoadCount { get; private set; }

    public IReadOnlyList<string> Kinds => [modelKind];

    public IReadOnlyList<string> List(string kind) =>
        kind == modelKind ? Directory.GetFiles(root).Select(Path.GetFileName).OfType<string>().Order().ToList() : [];

    public string? TryResolve(string kind, string name)
    {
        var path = Path.GetFullPath(Path.Combine(root, name));
        return kind == modelKind && path.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(path)
            ? path
            : null;
    }

    public async ValueTask<T> GetOrLoadAsync<T>(string kind, string name, Func<string, CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken)
        where T : class
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (loaded.TryGetValue((kind, name), out var existing))
            {
                return (T)existing;
            }

            var path = TryResolve(kind, name) ?? throw new FileNotFoundException($"unknown {kind} model '{name}'");
            var model = await load(path, cancellationToken);
            LoadCount++;
            loaded[(kind, name)] = model;
            return model;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        foreach (var model in loaded.Values.OfType<IDisposable>())
        {
            model.Dispose();
        }

        gate.Dispose();
    }
}
