namespace ComfySnap.Worker.Caching;

/// <summary>
/// A byte store with TTLs for cached results, large outputs and completed jobs. Never throws for
/// an unavailable backend: a read is a miss, a write returns false.
/// </summary>
public interface IOutputCache
{
    /// <summary>Connects if the backend needs it; returns at once even when the backend is down.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    Task<bool> SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken cancellationToken);
}
