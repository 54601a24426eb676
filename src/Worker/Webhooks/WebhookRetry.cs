using System.Net.Http;
using System.Net.Sockets;
using ComfySnap.Worker.Outbound;

namespace ComfySnap.Worker.Webhooks;

/// <summary>What one POST's outcome means for the delivery.</summary>
public enum WebhookAttemptOutcome
{
    /// <summary>2xx: done, never sent again.</summary>
    Delivered,

    /// <summary>5xx, a timeout or a connection error: tried again after a backoff.</summary>
    Retry,

    /// <summary>Anything else (4xx, a redirect not followed, a refused address): dead-lettered at once.</summary>
    GiveUp,
}

/// <summary>Which answers are retried, and how long to wait before the next attempt.</summary>
public static class WebhookRetry
{
    public static WebhookAttemptOutcome Classify(int statusCode) => statusCode switch
    {
        >= 200 and < 300 => WebhookAttemptOutcome.Delivered,
        >= 500 and < 600 => WebhookAttemptOutcome.Retry,
        _ => WebhookAttemptOutcome.GiveUp,
    };

    /// <summary>A POST that got no answer: the network guard's refusal is final, a timeout or a transport error is retried.</summary>
    public static WebhookAttemptOutcome Classify(Exception error) => error switch
    {
        _ when GuardedConnector.RefusalIn(error) is not null => WebhookAttemptOutcome.GiveUp,
        TimeoutException or TaskCanceledException or HttpRequestException or SocketException or IOException => WebhookAttemptOutcome.Retry,
        _ => WebhookAttemptOutcome.GiveUp,
    };

    /// <summary>The wait after failed attempt <paramref name="attempt"/> (1-based): first, then doubled, capped at max.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan first, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(max.Ticks, first.Ticks * factor));
    }
}
