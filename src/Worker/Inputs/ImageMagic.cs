namespace ComfySnap.Worker.Inputs;

/// <summary>
/// Recognises the image formats LoadImage decodes by their first bytes (never by a URL's extension
/// or a server's Content-Type, which the sender controls).
/// </summary>
public static class ImageMagic
{
    /// <summary>".png", ".jpg", ".webp" or ".gif"; null for anything else.</summary>
    public static string? Extension(ReadOnlySpan<byte> head) => head switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => ".png",
        [0xFF, 0xD8, 0xFF, ..] => ".jpg",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => ".webp",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'7' or (byte)'9', (byte)'a', ..] => ".gif",
        _ => null,
    };
}
