using System.Net.Http;
using System.Net.Sockets;
using ComfySnap.Worker.Outbound;
using ComfySnap.Worker.Webhooks;

namespace ComfySnap.Tests.Webhooks;

/// <summary>Retried on 5xx, timeouts and transport errors; never on 4xx or a refused address; backoff doubles up to its cap.</summary>
public sealed class WebhookRetryTests
{
    [Theory]
    [InlineData(200, WebhookAttemptOutcome.Delivered)]
    [InlineData(204, WebhookAttemptOutcome.Delivered)]
    [InlineData(500, WebhookAttemptOutcome.Retry)]
    [InlineData(502, WebhookAttemptOutcome.Retry)]
    [InlineData(503, WebhookAttemptOutcome.Retry)]
    [InlineData(400, WebhookAttemptOutcome.GiveUp)]
    [InlineData(401, WebhookAttemptOutcome.GiveUp)]
    [InlineData(404, WebhookAttemptOutcome.GiveUp)]
    [InlineData(408, WebhookAttemptOutcome.GiveUp)]
    [InlineData(429, WebhookAttemptOutcome.GiveUp)]
    [InlineData(301, WebhookAttemptOutcome.GiveUp)]
    public void Status_codes(int status, WebhookAttemptOutcome expected) => Assert.Equal(expected, WebhookRetry.Classify(status));

    [Fact]
    public void Errors_without_an_answer()
    {
        Assert.Equal(WebhookAttemptOutcome.Retry, WebhookRetry.Classify(new TimeoutException()));
        Assert.Equal(WebhookAttemptOutcome.Retry, WebhookRetry.Classify(new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.Equal(WebhookAttemptOutcome.GiveUp, WebhookRetry.Classify(new HttpRequestException("x", new OutboundRefusedException("127.0.0.1 is a loopback address"))));
        Assert.Equal(WebhookAttemptOutcome.GiveUp, WebhookRetry.Classify(new InvalidOperationException()));
    }

    [Fact]
    public void Backoff_doubles_from_the_first_delay_up_to_the_cap()
    {
        var first = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(10);
        Assert.Equal([1, 2, 4, 8, 10, 10], Enumerable.Range(1, 6).Select(a => WebhookRetry.Delay(a, first, max).TotalSeconds));
        Assert.Equal(max, WebhookRetry.Delay(200, first, max));
    }
}
