using ComfySnap.Tests.Upscale.Support;
using SkiaSharp;

namespace ComfySnap.Tests.Fuzz;

/// <summary>The files the seed workflows name: an input image and two tiny ESRGAN models.</summary>
public static class FuzzFiles
{
    public static void WriteTo(string root)
    {
        var weights = RrdbStateDicts.Random(numFeat: 4, numBlock: 1, numGrow: 4, scale: 4, seed: 11);
        foreach (var name in new[] { "tiny.pth", "RealESRGAN_x4plus.pth" })
        {
            CheckpointFiles.WritePth(Path.Combine(root, "models/upscale_models"), name, weights, "params_ema");
        }

        RrdbStateDicts.Dispose(weights);
        using var bitmap = new SKBitmap(20, 14);
        bitmap.Erase(new SKColor(200, 100, 50, 128));
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(root, "input/example.png"), png.ToArray());
    }
}
