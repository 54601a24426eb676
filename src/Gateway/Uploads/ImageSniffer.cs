namespace ComfySnap.Gateway.Uploads;

/// <summary>Recognises the image files uploads may be, by their magic bytes (never by name or declared type).</summary>
public static class ImageSniffer
{
    private static ReadOnlySpan<byte> Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>image/png, image/jpeg or image/webp; null for anything else.</summary>
    public static string? ContentType(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(Png))
        {
            return "image/png";
        }

        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        {
            return "image/jpeg";
        }

        return bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8) ? "image/webp" : null;
    }
}
