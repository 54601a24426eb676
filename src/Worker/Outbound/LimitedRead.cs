namespace ComfySnap.Worker.Outbound;

/// <summary>Reads a response body up to a byte limit, whatever its Content-Length claimed.</summary>
public static class LimitedRead
{
    /// <summary>The whole stream, or null as soon as it has more than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> AllAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
