using System.Net.Http;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Inputs;

/// <summary>
/// http(s) input images: through the guarded client (no private addresses unless allowed, checked
/// at connect and for every redirect), within <see cref="InputOptions.FetchTimeout"/>, at most
/// <see cref="InputOptions.MaxBytes"/> read, and only a PNG, JPEG, WebP or GIF by its magic bytes.
/// </summary>
public sealed class HttpUrlInputSource(IHttpClientFactory clients, IOptions<InputOptions> options, ILogger<HttpUrlInputSource> logger) : IUrlInputSource
{
    /// <summary>The named HttpClient (its handler is the guarded one of <see cref="InputOptions"/>).</summary>
    public const string ClientName = "comfysnap-inputs";

    public IReadOnlyCollection<string> Schemes { get; } = ["http", "https"];

    public async Task<FetchedInput> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var settings = options.Value;
        var shown = OutboundUrls.Redacted(url);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.FetchTimeout);
        try
        {
            var client = clients.CreateClient(ClientName);
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InputFileException($"input URL {shown} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength is > 0 and var length && length > settings.MaxBytes)
            {
                throw new InputFileException($"input URL {shown} is {length} bytes, more than Inputs:MaxBytes {settings.MaxBytes}");
            }

            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var bytes = await LimitedRead.AllAsync(stream, settings.MaxBytes, timeout.Token).ConfigureAwait(false)
                    ?? throw new InputFileException($"input URL {shown} delivered more than Inputs:MaxBytes {settings.MaxBytes} bytes");
                var extension = ImageMagic.Extension(bytes)
                    ?? throw new InputFileException($"input URL {shown} is not a PNG, JPEG, WebP or GIF image (by its first bytes)");
                logger.LogInformation("Input URL {Url} fetched: {Size} bytes ({Extension})", shown, bytes.Length, extension);
                return new FetchedInput(bytes, extension);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InputFileException($"input URL {shown} did not deliver within Inputs:FetchTimeout {settings.FetchTimeout}");
        }
        catch (HttpRequestException e)
        {
            throw new InputFileException(GuardedConnector.RefusalIn(e) is { } refused
                ? $"input URL {shown}: {refused.Message}"
                : $"input URL {shown} could not be fetched: {e.Message}");
        }
    }
}
