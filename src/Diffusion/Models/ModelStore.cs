using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using ComfySnap.NodeSdk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// Model files by kind under their own roots. A name resolves only inside its root; each model is
/// loaded once (kept on CPU) and shared by every job after that.
/// </summary>
public sealed class ModelStore(IOptions<ModelStoreOptions> options, IEnumerable<IModelLoader> loaders, ILogger<ModelStore> logger)
    : IModelStore, IDisposable
{
    private static readonly string[] ModelExtensions = [".safetensors", ".sft", ".pth", ".pt", ".ckpt", ".bin"];
    private readonly ModelStoreOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Lazy<Task<object>>> _loaded = new(StringComparer.Ordinal);
    // Models whose weights are file mappings, by file: paged in again after a restore.
    private readonly ConcurrentDictionary<string, Func<CancellationToken, long>> _mapped = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IModelLoader> _loaders = loaders.ToDictionary(l => l.Kind, StringComparer.Ordinal);

    /// <summary>Raised after a model finished loading (kind, name, milliseconds); jobs time model loads with it.</summary>
    public event Action<string, string, double>? Loaded;

    /// <summary>Raised when a model's loader threw (kind, name, the error); the fleet stops trying that model on this worker.</summary>
    public event Action<string, string, Exception>? LoadFailed;

    // Size and last use of every model loaded, by "kind/name": what Models:MemoryBudget counts.
    private readonly ConcurrentDictionary<string, HeldModel> _held = new(StringComparer.Ordinal);

    // Shared flocks on the downloaded model files loaded here, by "kind/name": the cache never evicts a file a process holds.
    private readonly ConcurrentDictionary<string, FileLock> _cacheUse = new(StringComparer.Ordinal);

    private volatile Task _pageIn = Task.CompletedTask;

    /// <summary>
    /// Pages in every loaded model whose weights are file mappings. A restored worker needs this: its
    /// mappings come back empty, and on a host whose page cache is cold the first job would otherwise
    /// read them from disk page by page. Returns the bytes paged in.
    /// </summary>
    public long PageInMappedWeights(CancellationToken cancellationToken) =>
        _mapped.Values.Sum(pageIn => pageIn(cancellationToken));

    /// <summary>
    /// <see cref="PageInMappedWeights"/> in the background (Snapshot:PageInWeights=AfterReady): a
    /// restored worker answers BOOTED without waiting for the disk, and every model lookup waits
    /// until the page-in is done, so a job that uses weights finds them resident and a job without
    /// models does not wait. A failure is logged, never thrown: pages then fault in on use.
    /// </summary>
    public void StartPageInMappedWeights(CancellationToken cancellationToken)
    {
        _pageIn = Task.Run(() =>
        {
            var watch = Stopwatch.StartNew();
            try
            {
                var bytes = PageInMappedWeights(cancellationToken);
                logger.LogInformation("Paged in {PageInMiB} MiB of mapped weights after ready in {ElapsedMs:0} ms", bytes >> 20, watch.Elapsed.TotalMilliseconds);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ExternalException)
            {
                logger.LogWarning("Paging in the mapped weights after ready stopped: {Reason}", e.Message);
            }
        }, CancellationToken.None);
    }

    public IReadOnlyList<string> Kinds => [.. _options.Roots.Keys.Union(_loaders.Keys).Order(StringComparer.Ordinal)];

    public string RootOf(string kind) =>
        Path.GetFullPath(_options.Roots.TryGetValue(kind, out var root) ? root : Path.Combine(_options.BaseDirectory, kind));

    public IReadOnlyList<string> List(string kind)
    {
        var root = RootOf(kind);
        if (!Directory.Exists(root))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => ModelExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(root, f))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>A file under the kind's root, or a pinned URL's file in the download cache (once downloaded).</summary>
    public string? TryResolve(string kind, string name) =>
        (ModelUrl.LooksLikeUrl(name)
            ? ModelUrl.TryParse(name, out _) is { } url ? Path.Combine(_options.ResolvedDownloadCacheDirectory, url.CacheFileName) : null
            : FileNames.Combine(RootOf(kind), name)) is { } path && File.Exists(path) ? path : null;

    public async ValueTask<T> GetOrLoadAsync<T>(string kind, string name, Func<string, CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken)
        where T : class
    {
        // A restored worker may still be paging its weights in (AfterReady): never run a model half-resident.
        await _pageIn.WaitAsync(cancellationToken).ConfigureAwait(false);
        // One key per model file whatever token a URL carries; the events and Held name it this way too.
        name = ModelUrl.IdentityName(name);
        var path = TryResolve(kind, name) ?? throw new FileNotFoundException(ModelUrl.LooksLikeUrl(name)
            ? $"Model URL '{ModelUrl.ShownName(name)}' is not in the download cache ({_options.ResolvedDownloadCacheDirectory})"
            : $"Model '{name}' not found in {kind} ({RootOf(kind)})");
        var key = $"{kind}/{name}";
        var entry = _loaded.GetOrAdd(key, _ => new Lazy<Task<object>>(() => TimedLoadAsync(kind, name, path, async ct => await load(path, ct).ConfigureAwait(false), cancellationToken)));
        try
        {
            var model = (T)await entry.Value.ConfigureAwait(false);
            MarkUsed(key);
            return model;
        }
        catch (Exception e)
        {
            // A failed load is not remembered: the next job tries again.
            if (_loaded.TryRemove(new KeyValuePair<string, Lazy<Task<object>>>(key, entry)) && e is not OperationCanceledException)
            {
                LoadFailed?.Invoke(kind, name, e);
            }

            throw;
        }
    }

    /// <summary>Loads a model with the loader registered for its kind (used by the boot preload).</summary>
    public async Task<double> PreloadAsync(string kind, string name, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await LoadAsync<object>(kind, name, cancellationToken).ConfigureAwait(false);
        return watch.Elapsed.TotalMilliseconds;
    }

    public async ValueTask<T> LoadAsync<T>(string kind, string name, CancellationToken cancellationToken)
        where T : class
    {
        if (!_loaders.TryGetValue(kind, out var loader))
        {
            throw new InvalidOperationException($"No loader for model kind '{kind}' (known: {string.Join(", ", _loaders.Keys)})");
        }

        var model = await GetOrLoadAsync(kind, name, (path, ct) => loader.LoadAsync(path, ct), cancellationToken).ConfigureAwait(false);
        return model as T ?? throw new InvalidOperationException($"{kind}/{name} loaded as {model.GetType().Name}, not {typeof(T).Name}");
    }

    /// <summary>The models loaded now ("kind/name", file bytes, last use), least recently used first.</summary>
    public IReadOnlyList<HeldModel> Held =>
        [.. _held.Values.Where(h => _loaded.TryGetValue(h.Key, out var e) && e.IsValueCreated && e.Value.IsCompletedSuccessfully).OrderBy(h => h.LastUsed)];

    /// <summary>True when "kind/name" is loaded (not loading, not failed).</summary>
    public bool IsLoaded(string key) => _loaded.TryGetValue(key, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully;

    /// <summary>
    /// Drops a loaded model and disposes it. The caller makes sure nothing uses it any more (no job
    /// runs it, no cached node output holds it). False when it is not loaded or still loading.
    /// </summary>
    public bool Unload(string key)
    {
        if (!_loaded.TryGetValue(key, out var entry) || !entry.IsValueCreated || !entry.Value.IsCompletedSuccessfully
            || !_loaded.TryRemove(new KeyValuePair<string, Lazy<Task<object>>>(key, entry)))
        {
            return false;
        }

        if (_held.TryRemove(key, out var held))
        {
            _mapped.TryRemove(held.Path, out _);
        }

        (entry.Value.Result as IDisposable)?.Dispose();
        ReleaseCacheUse(key);
        logger.LogInformation("Unloaded model {Model} ({Bytes} bytes)", ShownKey(key), held?.Bytes);
        return true;
    }

    /// <summary>
    /// Records a use of a loaded model for the least-recently-used order. Lookups record it; a job
    /// whose loader node came from the node output cache never looks up, so its runner records it.
    /// </summary>
    public void MarkUsed(string key)
    {
        if (_held.TryGetValue(key, out var held))
        {
            _held.TryUpdate(key, held with { LastUsed = Stopwatch.GetTimestamp() }, held);
        }
    }

    public void Dispose()
    {
        foreach (var entry in _loaded.Values.Where(e => e.IsValueCreated && e.Value.IsCompletedSuccessfully))
        {
            (entry.Value.Result as IDisposable)?.Dispose();
        }

        _loaded.Clear();
        foreach (var key in _cacheUse.Keys)
        {
            ReleaseCacheUse(key);
        }
    }

    // "kind/name" for logs: a model URL without its user info and query.
    private static string ShownKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? key : $"{key[..(slash + 1)]}{ModelUrl.ShownName(key[(slash + 1)..])}";
    }

    /// <summary>True while this store holds the downloaded file at <paramref name="path"/> loaded (tests, diagnostics).</summary>
    public bool HoldsCacheFile(string path) => _held.Values.Any(h => h.Path == Path.GetFullPath(path) && _cacheUse.ContainsKey(h.Key));

    // A downloaded file is locked shared before it is read, so an eviction in another process cannot remove it under the load.
    private void TakeCacheUse(string key, string path)
    {
        if (!path.StartsWith(_options.ResolvedDownloadCacheDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return;
        }

        var use = FileLock.TryTake(path, exclusive: false) ?? throw new FileNotFoundException($"Downloaded model {path} was removed from the cache before it loaded");
        if (!_cacheUse.TryAdd(key, use))
        {
            use.Dispose();
        }
    }

    private void ReleaseCacheUse(string key)
    {
        if (_cacheUse.TryRemove(key, out var use))
        {
            use.Dispose();
        }
    }

    private async Task<object> TimedLoadAsync(string kind, string name, string path, Func<CancellationToken, Task<object>> load, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var key = $"{kind}/{name}";
        TakeCacheUse(key, path);
        object model;
        try
        {
            model = await load(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ReleaseCacheUse(key);
            throw;
        }

        // Loaded means resident: map, then page in, so the first job never waits on the disk.
        if (model is IPageableModel pageable)
        {
            pageable.PageIn(cancellationToken);
            _mapped[path] = pageable.PageIn;
        }
        else if (model is StateDict state && StateDictLoader.IsSafetensors(path))
        {
            MappedWeights.PageIn(state, cancellationToken);
            _mapped[path] = ct => MappedWeights.PageIn(state, ct);
        }

        var ms = watch.Elapsed.TotalMilliseconds;
        _held[$"{kind}/{name}"] = new HeldModel($"{kind}/{name}", path, new FileInfo(path).Length, Stopwatch.GetTimestamp());
        logger.LogInformation("Loaded model {Kind}/{Name} ({Bytes} bytes) in {ElapsedMs:0} ms", kind, ModelUrl.ShownName(name), new FileInfo(path).Length, ms);
        Loaded?.Invoke(kind, name, ms);
        return model;
    }
}

/// <summary>A loaded model: "kind/name", its file, the file's size (what the memory budget counts) and when a job last asked for it (a Stopwatch timestamp).</summary>
public sealed record HeldModel(string Key, string Path, long Bytes, long LastUsed);
