using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ComfySnap.Gateway.Relay;
using ComfySnap.Gateway.WebSockets;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// <c>GET /ws?clientId=</c>: ComfyUI's event socket. Greets with <c>status</c> (queue_remaining and
/// the sid), then relays the events of the client's prompts. Incoming messages are ignored.
/// </summary>
public static class WebSocketEndpoint
{
    public static void MapComfyWebSocket(this IEndpointRouteBuilder routes) => routes.Map("/ws", async (HttpContext context, ClientHub hub, PromptRelay relay) =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var clientId = context.Request.Query["clientId"].FirstOrDefault() is { Length: > 0 } given ? given : Guid.NewGuid().ToString("N");
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var connection = hub.Connect(clientId, (bytes, ct) => socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct));
        var status = await relay.QueueInfoAsync();
        connection.Enqueue(ComfyMessage.Create("status", new JsonObject { ["status"] = status, ["sid"] = clientId }));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, connection.Closed);
        var pump = connection.PumpAsync(stop.Token);
        try
        {
            var buffer = new byte[4096];
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // client gone, or cut off for falling behind
        }
        finally
        {
            hub.Disconnect(connection);
            await stop.CancelAsync();
            await pump;
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, connection.IsOverflowed ? "too slow" : null, timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                // best effort
            }
        }
    });
}
