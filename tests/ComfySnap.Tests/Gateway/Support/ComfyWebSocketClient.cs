using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ComfySnap.Tests.Gateway.Support;

/// <summary>A ComfyUI WebSocket client: connects to /ws?clientId=, keeps every JSON message, waits for the one a test needs.</summary>
public sealed class ComfyWebSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<JsonObject> _messages = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;

    private ComfyWebSocketClient(string clientId) => ClientId = clientId;

    public string ClientId { get; }

    public static async Task<ComfyWebSocketClient> ConnectAsync(Uri gateway, string? clientId = null, string path = "/ws")
    {
        var client = new ComfyWebSocketClient(clientId ?? Guid.NewGuid().ToString("N"));
        var uri = new UriBuilder(gateway) { Scheme = "ws", Path = path, Query = $"clientId={client.ClientId}" }.Uri;
        await client._socket.ConnectAsync(uri, CancellationToken.None);
        client._reader = client.ReadAsync();
        await client.WaitAsync(m => Type(m) == "status");
        return client;
    }

    public static string Type(JsonObject message) => message["type"]!.GetValue<string>();

    public static JsonObject Data(JsonObject message) => message["data"]!.AsObject();

    public IReadOnlyList<JsonObject> Messages
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>The messages of one prompt (those carrying its prompt_id), in arrival order.</summary>
    public IReadOnlyList<JsonObject> For(string promptId) =>
        [.. Messages.Where(m => m["data"]?["prompt_id"]?.GetValue<string>() == promptId)];

    public async Task<JsonObject> WaitAsync(Func<JsonObject, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_messages.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no matching WebSocket message; got: " + string.Join(", ", Messages.Select(Type)));
            }
        }
    }

    /// <summary>Waits for the prompt's end: <c>executing</c> with node null.</summary>
    public Task<JsonObject> WaitForEndAsync(string promptId, TimeSpan? timeout = null) =>
        WaitAsync(m => Type(m) == "executing" && Data(m)["prompt_id"]?.GetValue<string>() == promptId && Data(m)["node"] is null, timeout);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // already gone
        }

        await _reader;
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                var parsed = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length))!.AsObject();
                message.SetLength(0);
                TaskCompletionSource changed;
                lock (_lock)
                {
                    _messages.Add(parsed);
                    changed = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                changed.TrySetResult();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // closed
        }
    }
}
