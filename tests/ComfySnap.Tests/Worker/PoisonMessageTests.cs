using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Worker.Support;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Worker;

/// <summary>
/// Issue 12: poison messages published raw to the worker's queue end in <c>&lt;queue&gt;_error</c> or
/// <c>&lt;queue&gt;_skipped</c> with MassTransit's reason headers, are delivered a bounded number of
/// times, and the worker goes on answering valid jobs.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PoisonMessageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private sealed record Poison(string Name, string? ContentType, byte[] Body, string ExpectedQueueSuffix);

    private sealed record Landed(string Queue, IReadOnlyDictionary<string, string> Headers, bool Redelivered);

    [Fact]
    public async Task Poison_messages_go_to_error_or_skipped_once_with_a_reason_and_the_worker_goes_on()
    {
        var clock = Stopwatch.StartNew();
        await using var worker = await RabbitWorkerHarness.StartAsync();
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();

        var big = new StringBuilder("{\"jobId\":", 20 * 1024 * 1024 + 16);
        big.Append('x', 20 * 1024 * 1024); // ~20 MB, and not JSON either
        var wrongTypes = new JsonObject
        {
            ["jobId"] = 42,
            ["workflow"] = new JsonObject { ["1"] = new JsonArray(1, 2), ["nodes"] = true },
            ["cachePolicy"] = "sometimes",
        };
        var unknownType = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["messageType"] = new JsonArray("urn:message:Nobody.Knows:ThisMessage"),
            ["message"] = new JsonObject { ["jobId"] = "unknown-type", ["anything"] = 1 },
        };
        Poison[] poisons =
        [
            new("not-json", "application/json", [0xff, 0xfe, 0x00, (byte)'n', (byte)'o', (byte)'t', (byte)' ', (byte)'{'], "_error"),
            new("json-array", "application/json", Encoding.UTF8.GetBytes("[1,2,3]"), "_error"),
            new("20mb", "application/json", Encoding.UTF8.GetBytes(big.ToString()), "_error"),
            new("wrong-types", "application/json", Encoding.UTF8.GetBytes(wrongTypes.ToJsonString()), "_error"),
            new("unknown-type", "application/vnd.masstransit+json", Encoding.UTF8.GetBytes(unknownType.ToJsonString()), "_skipped"),
        ];

        foreach (var poison in poisons)
        {
            var properties = new BasicProperties
            {
                ContentType = poison.ContentType,
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = Guid.NewGuid().ToString(),
                Headers = new Dictionary<string, object?> { ["x-poison-case"] = poison.Name },
            };
            await channel.BasicPublishAsync(worker.QueueName, "", true, properties, poison.Body);
        }

        var landed = await ReadDeadLettersAsync(factory, worker.QueueName, [.. poisons.Select(p => p.Name)]);

        foreach (var poison in poisons)
        {
            Assert.True(landed.TryGetValue(poison.Name, out var list), $"{poison.Name} never reached {worker.QueueName}_error/_skipped");
            var only = Assert.Single(list!); // moved once, not retried into the error queue again and again
            Assert.Equal(poison.ExpectedQueueSuffix, only.Queue);
            if (only.Queue == "_error")
            {
                Assert.Equal("fault", only.Headers.GetValueOrDefault("MT-Reason"));
                Assert.False(string.IsNullOrWhiteSpace(only.Headers.GetValueOrDefault("MT-Fault-Message")), $"{poison.Name}: no MT-Fault-Message");
                Assert.False(string.IsNullOrWhiteSpace(only.Headers.GetValueOrDefault("MT-Fault-ExceptionType")), $"{poison.Name}: no MT-Fault-ExceptionType");

                // Delivered once: a deserialization failure is not retried in process (no MT-Fault-RetryCount) nor redelivered.
                Assert.False(only.Headers.ContainsKey("MT-Fault-RetryCount"), $"{poison.Name}: retried {only.Headers.GetValueOrDefault("MT-Fault-RetryCount")} times");
                Assert.False(only.Redelivered, $"{poison.Name}: redelivered");
            }
            else
            {
                // No consumer for the message type: MassTransit moves it to _skipped with this reason.
                Assert.Equal("dead-letter", only.Headers.GetValueOrDefault("MT-Reason"));
            }
        }

        // Nothing left behind on the worker's queue: no message is being redelivered.
        Assert.Equal(0u, await channel.MessageCountAsync(worker.QueueName));

        // The worker goes on: a valid job is answered.
        var jobId = $"after-poison-{Guid.NewGuid():N}";
        var job = new JsonObject { ["jobId"] = jobId, ["workflow"] = EngineHarness.Workflow("image-ops.json"), ["cachePolicy"] = 2 };
        var ok = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(worker.QueueName, "", true, ok, Encoding.UTF8.GetBytes(job.ToJsonString()));
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(jobId, Timeout));
        await channel.DisposeAsync();
        output.WriteLine($"took {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Reads both dead-letter queues until every case has landed (and a little longer, to catch repeats).</summary>
    private async Task<Dictionary<string, List<Landed>>> ReadDeadLettersAsync(ConnectionFactory factory, string queueName, IReadOnlyCollection<string> names)
    {
        var landed = new Dictionary<string, List<Landed>>();
        var deadline = DateTime.UtcNow + Timeout;
        DateTime? allSeen = null;
        IConnection? connection = null;
        IChannel? channel = null;
        try
        {
            while (DateTime.UtcNow < deadline && (allSeen is null || DateTime.UtcNow < allSeen + TimeSpan.FromSeconds(1)))
            {
                var got = false;
                foreach (var suffix in new[] { "_error", "_skipped" })
                {
                    if (channel is not { IsOpen: true })
                    {
                        if (connection is not { IsOpen: true })
                        {
                            if (connection is not null)
                            {
                                await connection.DisposeAsync();
                            }

                            connection = await factory.CreateConnectionAsync();
                        }

                        if (channel is not null)
                        {
                            await channel.DisposeAsync();
                        }

                        channel = await connection.CreateChannelAsync();
                    }

                    BasicGetResult? delivery;
                    try
                    {
                        delivery = await channel.BasicGetAsync(queueName + suffix, autoAck: true);
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e)
                    {
                        // Not declared yet: a 404 closes the channel. A queue declared a moment ago can
                        // also answer INTERNAL_ERROR (noproc), which closes the connection. Reopen, retry.
                        output.WriteLine($"{queueName + suffix}: {e.Message}");
                        await Task.Delay(50);
                        continue;
                    }

                    if (delivery is null)
                    {
                        continue;
                    }

                    got = true;
                    var headers = (delivery.BasicProperties.Headers ?? new Dictionary<string, object?>())
                        .ToDictionary(h => h.Key, h => Text(h.Value));
                    var name = headers.GetValueOrDefault("x-poison-case", "?");
                    output.WriteLine($"{name} -> {suffix} ({delivery.Body.Length} bytes, redelivered={delivery.Redelivered}): "
                        + string.Join("; ", headers.Where(h => h.Key.StartsWith("MT-", StringComparison.Ordinal)).Select(h => $"{h.Key}={Truncate(h.Value)}")));
                    if (!landed.TryGetValue(name, out var list))
                    {
                        landed[name] = list = [];
                    }

                    list.Add(new Landed(suffix, headers, delivery.Redelivered));
                }

                if (allSeen is null && names.All(landed.ContainsKey))
                {
                    allSeen = DateTime.UtcNow;
                }

                if (!got)
                {
                    await Task.Delay(50);
                }
            }
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        return landed;
    }

    private static string Text(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        null => "",
        _ => value.ToString() ?? "",
    };

    private static string Truncate(string s) => s.Length > 160 ? s[..160] + "…" : s;
}
