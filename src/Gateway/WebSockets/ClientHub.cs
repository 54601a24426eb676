using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.WebSockets;

/// <summary>
/// The WebSocket clients connected to this gateway, by clientId. As in ComfyUI a reconnect with
/// the same clientId replaces the earlier socket; a message without a client goes to everyone.
/// Sending never waits: each client has its own bounded queue.
/// </summary>
public sealed class ClientHub(IOptions<GatewayOptions> options, ILogger<ClientHub> logger)
{
    private readonly ConcurrentDictionary<string, ClientConnection> _clients = new(StringComparer.Ordinal);

    public int Count => _clients.Count;

    public ClientConnection Connect(string clientId, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send)
    {
        var connection = new ClientConnection(clientId, options.Value.ClientQueueCapacity, send);
        if (_clients.TryGetValue(clientId, out var previous))
        {
            previous.Close();
        }

        _clients[clientId] = connection;
        return connection;
    }

    public void Disconnect(ClientConnection connection)
    {
        _clients.TryRemove(new KeyValuePair<string, ClientConnection>(connection.ClientId, connection));
        connection.Close();
    }

    /// <summary>To one client (when connected here), or to all when <paramref name="clientId"/> is null.</summary>
    public void Send(string? clientId, ComfyMessage message)
    {
        if (clientId is null)
        {
            Broadcast(message);
        }
        else if (_clients.TryGetValue(clientId, out var connection))
        {
            Deliver(connection, message);
        }
    }

    public void Broadcast(ComfyMessage message)
    {
        foreach (var connection in _clients.Values)
        {
            Deliver(connection, message);
        }
    }

    private void Deliver(ClientConnection connection, ComfyMessage message)
    {
        if (!connection.Enqueue(message) && _clients.TryRemove(new KeyValuePair<string, ClientConnection>(connection.ClientId, connection)))
        {
            logger.LogWarning("WebSocket client {ClientId} disconnected: it fell {Capacity} messages behind", connection.ClientId, options.Value.ClientQueueCapacity);
        }
    }
}
