namespace ComfySnap.Gateway.WebSockets;

/// <summary>
/// One WebSocket client's outgoing queue, bounded so that a slow client never holds up the
/// relay or other clients: when it is full the oldest progress message is dropped; when only
/// non-droppable messages are waiting the client is cut off (it would otherwise grow without
/// bound). A single pump sends in order.
/// </summary>
public sealed class ClientConnection(string clientId, int capacity, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly LinkedList<ComfyMessage> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _closed = new();
    private bool _disposed;

    public string ClientId { get; } = clientId;

    /// <summary>Progress messages dropped because the client was behind.</summary>
    public int Dropped { get; private set; }

    /// <summary>True once the client fell too far behind (or closed) and receives nothing more.</summary>
    public bool IsOverflowed { get; private set; }

    public CancellationToken Closed => _closed.Token;

    /// <summary>Queues a message without waiting; false when the client is cut off.</summary>
    public bool Enqueue(ComfyMessage message)
    {
        lock (_lock)
        {
            if (IsOverflowed)
            {
                return false;
            }

            if (_queue.Count >= capacity && !MakeRoom())
            {
                if (message.IsDroppable)
                {
                    Dropped++;
                    return true;
                }

                IsOverflowed = true;
                _queue.Clear();
                _closed.Cancel();
                return false;
            }

            _queue.AddLast(message);
            _signal.Release();
        }

        return true;
    }

    /// <summary>Sends queued messages in order until the client is closed or <paramref name="cancellationToken"/> fires.</summary>
    public async Task PumpAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        try
        {
            while (true)
            {
                await _signal.WaitAsync(linked.Token).ConfigureAwait(false);
                ComfyMessage? next;
                lock (_lock)
                {
                    next = _queue.First?.Value;
                    if (next is not null)
                    {
                        _queue.RemoveFirst();
                    }
                }

                if (next is not null)
                {
                    await send(next.Utf8, linked.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // closed
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            IsOverflowed = true;
            _queue.Clear();
            if (!_disposed)
            {
                _closed.Cancel();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            IsOverflowed = true;
            _disposed = true;
            _closed.Dispose();
            _signal.Dispose();
        }
    }

    // Under the lock: drops the oldest progress message, if any.
    private bool MakeRoom()
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (node.Value.IsDroppable)
            {
                _queue.Remove(node);
                Dropped++;
                // The pump's semaphore count stays one ahead of the queue; it skips the empty turn.
                return true;
            }
        }

        return false;
    }
}
