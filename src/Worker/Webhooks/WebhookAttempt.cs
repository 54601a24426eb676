namespace ComfySnap.Worker.Webhooks;

/// <summary>One POST: its outcome and a short description (<c>503 Service Unavailable</c>, <c>timed out after 10 s</c>).</summary>
public sealed record WebhookAttempt(WebhookAttemptOutcome Outcome, string Description);
