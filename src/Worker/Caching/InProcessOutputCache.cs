using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Caching;

/// <summary>The embedded default: a memory-bounded LRU of byte values with expiry.</summary>
public sealed class InProcessOutputCache(IOptions<CacheOptions> options, TimeProvider time) : IOutputCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _lru = new();
    private long _bytes;

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return Task.FromResult<byte[]?>(null);
            }

            if (node.Value.ExpiresAt <= time.GetUtcNow())
            {
                Remove(node);
                return Task.FromResult<byte[]?>(null);
            }

            _lru.Remove(node);
            _lru.AddFirst(node);
            return Task.FromResult<byte[]?>(node.Value.Value);
        }
    }

    public Task<bool> SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var max = options.Value.InProcessMaxBytes;
        if (value.Length > max)
        {
            return Task.FromResult(false);
        }

        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                Remove(old);
            }

            var node = _lru.AddFirst(new Entry(key, value.ToArray(), time.GetUtcNow() + ttl));
            _entries[key] = node;
            _bytes += value.Length;
            while (_bytes > max && _lru.Last is { } last)
            {
                Remove(last);
            }
        }

        return Task.FromResult(true);
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _lru.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Value.Length;
    }

    private sealed record Entry(string Key, byte[] Value, DateTimeOffset ExpiresAt);
}
