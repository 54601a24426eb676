using System.Collections;
using ComfySnap.Worker.Imaging;
using ComfySnap.Worker.Models.Esrgan;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ComfySnap.Worker.Cli;

/// <summary>Makes what the shipped upscale workflow needs when no real files exist: a tiny random RRDBNet and a small image.</summary>
public static class DemoAssets
{
    public const string UpscaleModelName = "RealESRGAN_x4plus.pth";
    public const string ExampleImageName = "example.png";

    /// <summary>A 4x RRDBNet with 8 features and 1 block, random weights, saved like torch.save (zip pickle).</summary>
    public static void WriteTinyUpscaleModel(string path)
    {
        using var scope = NewDisposeScope();
        using var net = new RrdbNet(new RrdbNetConfig(3, 3, 8, 1, 4, 4));
        PyTorchPickler.PickleStateDict(path, new Hashtable(net.state_dict()));
    }

    /// <summary>A 48x32 RGB gradient.</summary>
    public static void WriteExampleImage(string path)
    {
        using var scope = NewDisposeScope();
        var y = linspace(0, 1, 32).view(32, 1, 1).expand(32, 48, 1);
        var x = linspace(0, 1, 48).view(1, 48, 1).expand(32, 48, 1);
        var image = cat([x, y, (x + y) / 2], 2).contiguous();
        File.WriteAllBytes(path, PngCodec.Encode(image, 6));
    }
}
