using System.Runtime.InteropServices;
using SkiaSharp;

namespace ComfySnap.Gateway.Uploads;

/// <summary>ComfyUI's /upload/mask: the original image with the mask image's alpha channel as its alpha, saved as PNG.</summary>
public static class MaskComposer
{
    /// <summary>The largest side decoded, as the workers' PNG decoder bounds it (a test keeps the two equal).</summary>
    public const int MaxDecodeSide = 16_384;

    /// <summary>The composed PNG; null when either image cannot be decoded or their sizes differ.</summary>
    public static byte[]? ApplyAlpha(byte[] original, byte[] mask)
    {
        if (DecodeRgba(original) is not { } image || DecodeRgba(mask) is not { } alpha || image.Info.Size != alpha.Info.Size)
        {
            return null;
        }

        for (var i = 3; i < image.Pixels.Length; i += 4)
        {
            image.Pixels[i] = alpha.Pixels[i];
        }

        using var composed = SKImage.FromPixelCopy(image.Info, image.Pixels);
        using var png = composed?.Encode(SKEncodedImageFormat.Png, 100);
        return png?.ToArray();
    }

    // Unpremultiplied RGBA, no colour conversion; sides bounded as the worker's decoder bounds them.
    private static (SKImageInfo Info, byte[] Pixels)? DecodeRgba(byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.Info.Width > MaxDecodeSide || codec.Info.Height > MaxDecodeSide)
        {
            return null;
        }

        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            return codec.GetPixels(info, handle.AddrOfPinnedObject()) is SKCodecResult.Success or SKCodecResult.IncompleteInput ? (info, pixels) : null;
        }
        finally
        {
            handle.Free();
        }
    }
}
