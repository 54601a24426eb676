using System.Runtime.InteropServices;
using ComfySnap.Contracts;
using SkiaSharp;

namespace ComfySnap.Worker.Delivery;

/// <summary>
/// Re-encodes the PNG bytes SaveImage wrote as WebP or JPEG with SkiaSharp, the image library the
/// engine already uses for PNG: no second native codec library in the worker. PNG passes through
/// unchanged, so the default output stays byte-identical to ComfyUI's.
/// </summary>
public static class ImageTranscoder
{
    /// <summary>The file extension (without dot) and content type of <paramref name="format"/>.</summary>
    public static (string Extension, string ContentType) Describe(OutputFormat format) => format switch
    {
        OutputFormat.Png => ("png", "image/png"),
        OutputFormat.Webp => ("webp", "image/webp"),
        OutputFormat.Jpeg => ("jpg", "image/jpeg"),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown output format"),
    };

    /// <summary>Encodes <paramref name="png"/> as <paramref name="format"/> at <paramref name="quality"/> (1 to 100; WebP 100 is lossless).</summary>
    public static byte[] Transcode(byte[] png, OutputFormat format, int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (format == OutputFormat.Png)
        {
            return png;
        }

        using var data = SKData.CreateCopy(png);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("output is not an image SkiaSharp can decode");
        var opaque = codec.Info.AlphaType == SKAlphaType.Opaque;
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var pixels = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            if (result != SKCodecResult.Success)
            {
                throw new InvalidDataException($"could not decode the output for re-encoding: {result}");
            }

            if (format == OutputFormat.Jpeg && !opaque)
            {
                // JPEG has no alpha: keep the (unpremultiplied) colour and drop the alpha, so nothing is
                // blended against a background the reader would have to guess.
                for (var i = 3; i < pixels.Length; i += 4)
                {
                    pixels[i] = 255;
                }

                info = info.WithAlphaType(SKAlphaType.Opaque);
            }

            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using var encoded = (format == OutputFormat.Jpeg
                    ? pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
                    : pixmap.Encode(new SKWebpEncoderOptions(quality == 100 ? SKWebpEncoderCompression.Lossless : SKWebpEncoderCompression.Lossy, quality)))
                ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}");
            return encoded.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary><paramref name="fileName"/> with its extension replaced by the format's.</summary>
    public static string Rename(string fileName, OutputFormat format) =>
        format == OutputFormat.Png ? fileName : Path.ChangeExtension(fileName, Describe(format).Extension);
}
