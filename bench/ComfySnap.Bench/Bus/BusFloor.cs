using System.Collections.Concurrent;
using System.Diagnostics;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.TestSupport;
using MassTransit;

namespace ComfySnap.Bench.Bus;

/// <summary>
/// The floor under the worker's overhead: the same send -> consume -> publish -> receive round trip
/// through the same RabbitMQ with a consumer that answers at once (quorum queue, prefetch 1, like
/// the worker queue). Whatever the worker adds on top of this is its own cost.
/// </summary>
public static class BusFloor
{
    public static async Task<Stats> MeasureAsync(int samples, bool quorum, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var queue = $"comfysnap-bench-floor-{id}";
        var pending = new ConcurrentDictionary<Guid, TaskCompletionSource<long>>();
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(TestEnvironment.Broker());
            cfg.ReceiveEndpoint(queue, e =>
            {
                e.PrefetchCount = 1;
                e.ConcurrentMessageLimit = 1;
                if (quorum)
                {
                    e.SetQuorumQueue();
                }

                e.Handler<FloorPing>(c => c.Publish(new FloorPong(c.Message.Id)));
            });
            cfg.ReceiveEndpoint($"comfysnap-bench-floor-events-{id}", e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                e.Handler<FloorPong>(c =>
                {
                    if (pending.TryGetValue(c.Message.Id, out var done))
                    {
                        done.TrySetResult(Stopwatch.GetTimestamp());
                    }

                    return Task.CompletedTask;
                });
            });
        });
        await bus.StartAsync(ct);
        try
        {
            var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{queue}"));
            var values = new List<double>();
            for (var i = 0; i < samples + 20; i++)
            {
                var ping = new FloorPing(Guid.NewGuid());
                var done = pending.GetOrAdd(ping.Id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
                var start = Stopwatch.GetTimestamp();
                await endpoint.Send(ping, ct);
                var at = await done.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
                if (i >= 20)
                {
                    values.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
                }
            }

            return Stats.Of(values);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
            await RabbitQueues.DeleteAsync(TestEnvironment.RabbitMqUri, queue);
        }
    }
}

/// <summary>The floor measurement's request.</summary>
public sealed record FloorPing(Guid Id);

/// <summary>The floor measurement's answer.</summary>
public sealed record FloorPong(Guid Id);
