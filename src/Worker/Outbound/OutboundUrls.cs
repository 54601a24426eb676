namespace ComfySnap.Worker.Outbound;

/// <summary>URLs as they may appear in messages and logs.</summary>
public static class OutboundUrls
{
    /// <summary>Scheme, host, port and path only: a query or user info may hold a token (pre-signed URLs).</summary>
    public static string Redacted(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsAbsoluteUri ? url.GetLeftPart(UriPartial.Path) : "(relative URL)";
    }
}
