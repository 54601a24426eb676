namespace ComfySnap.Contracts;

/// <summary>Where a job's result is posted once it completed or failed (a webhook, signed; see docs/urls-and-webhooks.md).</summary>
/// <param name="Url">An absolute http:// or https:// URL.</param>
public sealed record JobWebhook(string Url);
