using System.Runtime.InteropServices;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Imaging;

/// <summary>
/// Converts one image tensor [H,W,C] (float, 0..1) to PNG bytes and back, the way ComfyUI's
/// SaveImage/LoadImage do with PIL: clip(255*x, 0, 255) truncated to uint8 on the way out,
/// byte/255 on the way in. Decoding accepts anything SkiaSharp reads (PNG, JPEG, WebP, ...).
/// </summary>
public static class PngCodec
{
    /// <summary>Largest side a decoded file may have (ComfyUI's MAX_RESOLUTION): refuses decompression bombs.</summary>
    public const int MaxDecodeSide = 16_384;

    /// <summary>Encodes [H,W,C] with C = 1 (grey), 3 (RGB) or 4 (RGBA). Same tensor, same bytes.</summary>
    public static byte[] Encode(Tensor image, int compressLevel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(compressLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressLevel, 9);
        if (image.dim() != 3)
        {
            throw new ArgumentException($"expected an image [H,W,C], got [{string.Join(",", image.shape)}]", nameof(image));
        }

        // Own scope: the caller may be on a thread without the engine's scope (after an await).
        using var scope = NewDisposeScope();
        var (height, width, channels) = ((int)image.shape[0], (int)image.shape[1], (int)image.shape[2]);
        var bytes = Quantize(image);
        return channels switch
        {
            1 => EncodePixels(bytes, new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), compressLevel),
            3 => EncodePixels(RgbToRgbx(bytes), new SKImageInfo(width, height, SKColorType.Rgb888x, SKAlphaType.Opaque), compressLevel),
            4 => EncodePixels(bytes, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), compressLevel),
            _ => throw new ArgumentException($"cannot save an image with {channels} channels", nameof(image)),
        };
    }

    /// <summary>
    /// Decodes to [H,W,3] float32, or [H,W,4] when the file has an alpha channel, on
    /// <paramref name="device"/>. EXIF orientation is applied like PIL's exif_transpose.
    /// </summary>
    public static Tensor Decode(byte[] encoded, Device device)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("not an image SkiaSharp can decode");
        var info = codec.Info;
        if (info.Width > MaxDecodeSide || info.Height > MaxDecodeSide)
        {
            throw new InvalidDataException($"image is {info.Width}x{info.Height}; the largest side allowed is {MaxDecodeSide}");
        }

        // Unpremultiplied RGBA so colour values are not scaled by alpha; no colour-space conversion (as PIL).
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[target.BytesSize];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(target, handle.AddrOfPinnedObject());

            // A truncated file still yields its decoded rows, like ComfyUI's LOAD_TRUNCATED_IMAGES retry.
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            {
                throw new InvalidDataException($"could not decode the image: {result}");
            }
        }
        finally
        {
            handle.Free();
        }

        var oriented = ImageOrientation.Apply(rgba, info.Width, info.Height, 4, codec.EncodedOrigin);
        var channels = info.AlphaType == SKAlphaType.Opaque ? 3 : 4;
        var pixels = ToFloats(oriented.Pixels, channels);
        return tensor(pixels, [oriented.Height, oriented.Width, channels], ScalarType.Float32, device);
    }

    private static byte[] Quantize(Tensor image)
    {
        // numpy's astype(uint8) truncates; NaN becomes 0 instead of an undefined value.
        using var cpu = image.to(CPU).to(ScalarType.Float32);
        using var scaled = (cpu * 255.0).nan_to_num(0.0).clamp(0, 255).to(ScalarType.Byte).contiguous();
        return scaled.data<byte>().ToArray();
    }

    private static byte[] RgbToRgbx(byte[] rgb)
    {
        var pixels = rgb.Length / 3;
        var rgbx = new byte[pixels * 4];
        for (var i = 0; i < pixels; i++)
        {
            rgbx[i * 4] = rgb[i * 3];
            rgbx[(i * 4) + 1] = rgb[(i * 3) + 1];
            rgbx[(i * 4) + 2] = rgb[(i * 3) + 2];
            rgbx[(i * 4) + 3] = 255;
        }

        return rgbx;
    }

    private static byte[] EncodePixels(byte[] pixels, SKImageInfo info, int compressLevel)
    {
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using var encoded = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, compressLevel))
                ?? throw new InvalidOperationException("SkiaSharp could not encode the PNG");
            return encoded.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    private static float[] ToFloats(byte[] rgba, int channels)
    {
        var count = rgba.Length / 4;
        var result = new float[count * channels];
        for (var i = 0; i < count; i++)
        {
            for (var c = 0; c < channels; c++)
            {
                // float32 division, as np.float32(byte) / 255.0.
                result[(i * channels) + c] = rgba[(i * 4) + c] / 255f;
            }
        }

        return result;
    }
}
