using System.Text;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Operator.Cli;
using ComfySnap.Worker.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.Webhooks;

/// <summary>Result webhooks through a real worker on RabbitMQ and a real HTTP receiver on loopback.</summary>
public sealed class WebhookDeliveryTests
{
    private const string Image = """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":255}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"hook"}}}""";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string?> Settings(string key, int maxAttempts) => new()
    {
        ["Webhooks:SigningKey"] = key,
        ["Webhooks:AllowPrivateNetworks"] = "true",
        ["Webhooks:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks:FirstRetryDelay"] = "00:00:00.100",
        ["Webhooks:MaxRetryDelay"] = "00:00:00.300",
        ["Webhooks:RequestTimeout"] = "00:00:02",
    };

    private static bool Verifies(ReceivedRequest request, string key) =>
        WebhookSignature.Verify(request.Headers[WebhookSignature.Header], request.Body, Encoding.UTF8.GetBytes(key), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_receiver_failing_twice_gets_exactly_one_signed_success_and_a_failed_job_posts_its_failure()
    {
        var key = $"whsec-{Guid.NewGuid():N}";
        var flaky = 0;
        await using var receiver = await LoopbackHttpServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = context.Request.Path == "/flaky" && Interlocked.Increment(ref flaky) <= 2 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            return Task.CompletedTask;
        });
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: Settings(key, maxAttempts: 5));

        var job = new RunWorkflow("hook-ok", Image, Webhook: new JobWebhook($"{receiver.BaseUrl}/flaky"));
        await worker.SendAsync(job);
        var completed = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("hook-ok", Timeout));
        var posts = await receiver.WaitForAsync(r => r.PathAndQuery == "/flaky", 3, Timeout);

        // The same JobId again is answered from its stored result: no second webhook.
        await worker.SendAsync(job);
        await worker.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == "hook-ok" && worker.Events.All<WorkflowCompleted>().Count(x => x.JobId == "hook-ok") >= 2, Timeout);
        await Task.Delay(TimeSpan.FromSeconds(2));
        posts = [.. receiver.Requests.Where(r => r.PathAndQuery == "/flaky")];
        Assert.Equal(3, posts.Count);
        Assert.All(posts, p => Assert.True(Verifies(p, key)));
        Assert.All(posts, p => Assert.Equal("hook-ok:completed", p.Headers["X-ComfySnap-Delivery"]));
        var body = JsonNode.Parse(posts[2].Body)!;
        Assert.Equal("workflow.completed", body["event"]!.GetValue<string>());
        Assert.Equal("hook-ok", body["jobId"]!.GetValue<string>());
        Assert.Equal(completed.Outputs[0].Sha256, body["completed"]!["outputs"]![0]!["sha256"]!.GetValue<string>());
        Assert.False(WebhookSignature.Verify(posts[2].Headers[WebhookSignature.Header], [.. posts[2].Body, (byte)' '], Encoding.UTF8.GetBytes(key), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));

        await worker.SendAsync(new RunWorkflow("hook-bad", """{"1":{"class_type":"NoSuchNode","inputs":{}}}""", Webhook: new JobWebhook($"{receiver.BaseUrl}/failures")));
        Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("hook-bad", Timeout));
        var failure = Assert.Single(await receiver.WaitForAsync(r => r.PathAndQuery == "/failures", 1, Timeout));
        Assert.True(Verifies(failure, key));
        var failed = JsonNode.Parse(failure.Body)!;
        Assert.Equal("workflow.failed", failed["event"]!.GetValue<string>());
        Assert.Equal((int)FailureKind.InvalidWorkflow, failed["failed"]!["kind"]!.GetValue<int>());

        Assert.DoesNotContain(worker.Logs.Events, e => e.RenderMessage().Contains(key, StringComparison.Ordinal));
        Assert.Empty(await worker.Services.GetRequiredService<IWebhookLedger>().DeadLettersAsync(CancellationToken.None));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_receiver_that_is_down_ends_in_the_dead_letters_4xx_is_never_retried_and_the_operator_lists_and_replays()
    {
        var key = $"whsec-{Guid.NewGuid():N}";
        var downPort = FreePorts.Take(1)[0];
        await using var receiver = await LoopbackHttpServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = context.Request.Path == "/reject" ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
            return Task.CompletedTask;
        });
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: Settings(key, maxAttempts: 3));
        var ledger = worker.Services.GetRequiredService<IWebhookLedger>();

        await worker.SendAsync(new RunWorkflow("hook-down", Image, Webhook: new JobWebhook($"http://127.0.0.1:{downPort}/down")));
        await worker.SendAsync(new RunWorkflow("hook-4xx", Image, Webhook: new JobWebhook($"{receiver.BaseUrl}/reject")));
        var deadline = DateTime.UtcNow + Timeout;
        IReadOnlyList<WebhookDeadLetter> dead;
        while ((dead = await ledger.DeadLettersAsync(CancellationToken.None)).Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var down = Assert.Single(dead, d => d.Delivery.JobId == "hook-down");
        Assert.Equal(3, down.Attempts);
        Assert.Contains("refused", down.LastError, StringComparison.OrdinalIgnoreCase);
        var rejected = Assert.Single(dead, d => d.Delivery.JobId == "hook-4xx");
        Assert.Equal(1, rejected.Attempts);
        Assert.StartsWith("400", rejected.LastError, StringComparison.Ordinal);
        Assert.Single(receiver.Requests, r => r.PathAndQuery == "/reject");

        var prefix = worker.Settings["Cache:KeyPrefix"]!;
        string[] connection = ["--rabbitmq", TestEnvironment.RabbitMqUri, "--queue", worker.QueueName, "--redis", TestEnvironment.RedisEndpoint, "--key-prefix", prefix];
        var (code, output, error) = await OperatorAsync(["webhooks", "dead-letters", "--json", .. connection]);
        Assert.True(code == 0, error);
        var listed = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["delivery"]!["deliveryId"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { down.Delivery.DeliveryId, rejected.Delivery.DeliveryId }.Order(StringComparer.Ordinal), listed);

        // The receiver comes up; the operator replays the delivery: posted once, signed, gone from the dead letters.
        await using var revived = await LoopbackHttpServer.StartAsync((context, _) => Task.CompletedTask, downPort);
        (code, _, error) = await OperatorAsync(["webhooks", "replay", down.Delivery.DeliveryId, .. connection]);
        Assert.True(code == 0, error);
        var replayed = Assert.Single(await revived.WaitForAsync(r => r.PathAndQuery == "/down", 1, Timeout));
        Assert.True(Verifies(replayed, key));
        Assert.Equal(down.Delivery.Body, Encoding.UTF8.GetString(replayed.Body));
        Assert.Equal(rejected.Delivery.DeliveryId, Assert.Single(await ledger.DeadLettersAsync(CancellationToken.None)).Delivery.DeliveryId);

        (code, _, error) = await OperatorAsync(["webhooks", "replay", "no-such-delivery", .. connection]);
        Assert.Equal(1, code);
        Assert.Contains("no dead letter no-such-delivery", error, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> OperatorAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await OperatorCli.InvokeAsync(args, OperatorIo.Plain(output, error, 200), CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
