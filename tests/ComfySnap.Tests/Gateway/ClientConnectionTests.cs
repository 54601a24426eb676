using System.Text;
using System.Text.Json.Nodes;
using ComfySnap.Gateway;
using ComfySnap.Gateway.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.Gateway;

/// <summary>The per-client queues: a slow WebSocket client never blocks the relay or other clients.</summary>
public sealed class ClientConnectionTests
{
    private static ComfyMessage Progress(int step) => ComfyMessage.Create("progress", new JsonObject { ["value"] = step, ["max"] = 1000 });

    private static ComfyMessage Executing(string node) => ComfyMessage.Create("executing", new JsonObject { ["node"] = node });

    [Fact]
    public async Task A_stuck_client_loses_old_progress_first_and_is_cut_off_only_when_other_messages_overflow()
    {
        var stuck = new TaskCompletionSource();
        using var connection = new ClientConnection("slow", capacity: 8, (_, ct) => new ValueTask(stuck.Task.WaitAsync(ct)));
        var pump = connection.PumpAsync(CancellationToken.None);

        Assert.True(connection.Enqueue(Executing("1")));
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(connection.Enqueue(Progress(i)));
        }

        Assert.True(connection.Dropped >= 1000 - 8);
        Assert.False(connection.IsOverflowed);
        for (var i = 0; i < 20 && connection.Enqueue(Executing($"n{i}")); i++)
        {
        }

        Assert.True(connection.IsOverflowed);
        Assert.True(connection.Closed.IsCancellationRequested);
        await pump.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Hub_delivers_everything_to_a_fast_client_while_another_is_stuck()
    {
        var hub = new ClientHub(Options.Create(new GatewayOptions { ClientQueueCapacity = 16 }), NullLogger<ClientHub>.Instance);
        var stuck = new TaskCompletionSource();
        using var slow = hub.Connect("slow", (_, ct) => new ValueTask(stuck.Task.WaitAsync(ct)));
        var received = new List<string>();
        using var fast = hub.Connect("fast", (bytes, _) =>
        {
            lock (received)
            {
                received.Add(JsonNode.Parse(Encoding.UTF8.GetString(bytes.Span))!["type"]!.GetValue<string>());
            }

            return ValueTask.CompletedTask;
        });
        using var stop = new CancellationTokenSource();
        var pumps = Task.WhenAll(slow.PumpAsync(stop.Token), fast.PumpAsync(stop.Token));

        for (var i = 0; i < 500; i++)
        {
            hub.Broadcast(i % 50 == 0 ? Executing($"{i}") : Progress(i));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && Count(received) < 10)
        {
            await Task.Delay(20);
        }

        Assert.Equal(10, received.Count(t => t == "executing"));
        Assert.True(slow.Dropped > 400);
        Assert.False(slow.IsOverflowed);
        Assert.Equal(2, hub.Count);
        await stop.CancelAsync();
        await pumps.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static int Count(List<string> received)
    {
        lock (received)
        {
            return received.Count(t => t == "executing");
        }
    }
}
