using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ComfySnap.Operator.Submit;

/// <summary>
/// Writes a completed job's files to the output folder as NAME_FILENAME: inline bytes as they came,
/// claim-checked ones fetched from Redis by their key (connected on first need). Files the worker
/// wrote to an object store are listed by their <c>s3://</c> address, not downloaded.
/// </summary>
public sealed class OutputWriter(string directory, RedisConnectionOptions? redis) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connect = new(1, 1);
    private ConnectionMultiplexer? _redis;

    public async Task<IReadOnlyList<string>> WriteAsync(string name, WorkflowCompleted completed, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        foreach (var o in completed.Outputs)
        {
            if (o.ObjectUri is { } objectUri)
            {
                written.Add(objectUri);
                continue;
            }

            var bytes = o.InlineBytes ?? (o.RedisKey is { } key ? await FetchAsync(key) : null)
                ?? throw new IOException($"{o.FileName}: neither inline nor in Redis (key {o.RedisKey ?? "none"}; expired, or --redis is wrong)");
            var file = $"{Safe(name)}_{Safe(o.FileName)}";
            await File.WriteAllBytesAsync(Path.Combine(directory, file), bytes, cancellationToken);
            written.Add(file);
        }

        return written;
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        _connect.Dispose();
    }

    private async Task<byte[]?> FetchAsync(string key)
    {
        if (redis is null)
        {
            throw new IOException($"output {key} is in Redis but no --redis was given");
        }

        await _connect.WaitAsync();
        try
        {
            _redis ??= await RedisConnector.ConnectAsync(redis, NullLogger.Instance, tune: null, CancellationToken.None);
        }
        finally
        {
            _connect.Release();
        }

        return await _redis.GetDatabase().StringGetAsync(key);
    }

    private static string Safe(string name) =>
        string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
