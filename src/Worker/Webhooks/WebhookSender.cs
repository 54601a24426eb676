using System.Globalization;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using ComfySnap.Contracts;
using ComfySnap.Worker.Outbound;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Webhooks;

/// <summary>Makes one signed POST of a delivery through the guarded webhook client.</summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider time)
{
    public const string ClientName = "comfysnap-webhooks";

    public async Task<WebhookAttempt> PostAsync(DeliverWebhook delivery, byte[] key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!Uri.TryCreate(delivery.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return new WebhookAttempt(WebhookAttemptOutcome.GiveUp, "not an absolute http(s) URL");
        }

        var body = Encoding.UTF8.GetBytes(delivery.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        // Signed per attempt: the timestamp is the attempt's, so a receiver may refuse old ones.
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Compute(key, time.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.Add("X-ComfySnap-Delivery", delivery.DeliveryId);
        request.Headers.Add("X-ComfySnap-Event", delivery.Event);

        var timeout = options.Value.RequestTimeout;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bounded.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return new WebhookAttempt(WebhookRetry.Classify(code), $"{code.ToString(CultureInfo.InvariantCulture)} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookAttempt(WebhookRetry.Classify(new TimeoutException(e.Message)), $"timed out after {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return new WebhookAttempt(WebhookRetry.Classify(e), GuardedConnector.RefusalIn(e)?.Message ?? e.Message);
        }
    }
}
