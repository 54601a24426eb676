using System.Text;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Worker.Support;
using RabbitMQ.Client;

namespace ComfySnap.Tests.Worker;

/// <summary>Publishers without MassTransit: a plain JSON RunWorkflow over AMQP, events read by a plain AMQP consumer.</summary>
[Trait("Category", "Integration")]
public sealed class PlainJsonPublisherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Plain_json_run_workflow_published_with_amqp_is_answered_with_workflow_completed_readable_without_masstransit()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        // A plain consumer: its own queue bound to the event's fanout exchange (declared by the worker's publishes or here).
        const string exchange = "ComfySnap.Contracts:WorkflowCompleted";
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        var events = (await channel.QueueDeclareAsync(queue: "", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(events, exchange, routingKey: "");

        var jobId = $"plain-{Guid.NewGuid():N}";
        var body = new JsonObject
        {
            ["jobId"] = jobId,
            ["workflow"] = EngineHarness.Workflow("image-ops.json"),
            ["cachePolicy"] = 2, // enums travel as numbers (CachePolicy.Bypass)
        };
        var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(exchange: worker.QueueName, routingKey: "", mandatory: true, basicProperties: properties, body: Encoding.UTF8.GetBytes(body.ToJsonString()));

        // The harness's MassTransit client sees it, and so does a plain consumer reading the envelope's "message".
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(jobId, Timeout));
        var deadline = DateTime.UtcNow + Timeout;
        JsonNode? completed = null;
        while (completed is null && DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(events, autoAck: true) is { } delivery)
            {
                var envelope = JsonNode.Parse(delivery.Body.Span)!;
                Assert.Equal("application/vnd.masstransit+json", delivery.BasicProperties.ContentType);
                Assert.Contains("urn:message:ComfySnap.Contracts:WorkflowCompleted", envelope["messageType"]!.AsArray().Select(t => t!.GetValue<string>()));
                completed = envelope["message"]!["jobId"]!.GetValue<string>() == jobId ? envelope["message"] : null;
            }
            else
            {
                await Task.Delay(50);
            }
        }

        Assert.NotNull(completed);
        Assert.False(completed!["fromCache"]!.GetValue<bool>());
        var output = completed["outputs"]![0]!;
        Assert.Equal("image/png", output["contentType"]!.GetValue<string>());
        Assert.Equal(output["size"]!.GetValue<long>(), Convert.FromBase64String(output["inlineBytes"]!.GetValue<string>()).Length);
        Assert.True(completed["timings"]!["totalMs"]!.GetValue<double>() > 0);

        // A plain JSON CancelWorkflow published to its exchange reaches the worker: the job never runs.
        var cancelled = $"plain-cancel-{Guid.NewGuid():N}";
        var cancel = Encoding.UTF8.GetBytes(new JsonObject { ["jobId"] = cancelled }.ToJsonString());
        await channel.BasicPublishAsync("ComfySnap.Contracts:CancelWorkflow", "", false, properties, cancel);
        await Task.Delay(500);
        body["jobId"] = cancelled;
        await channel.BasicPublishAsync(worker.QueueName, "", true, properties, Encoding.UTF8.GetBytes(body.ToJsonString()));
        var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync(cancelled, Timeout));
        Assert.Equal(FailureKind.Cancelled, failed.Kind);
    }
}
