using System.Collections;
using ComfySnap.Diffusion.Imaging;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.Esrgan;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ComfySnap.Tools;

/// <summary>
/// Makes what the shipped workflows need when no real files exist: a tiny random RRDBNet, a small
/// image and a tiny random-weight SD 1.x checkpoint under the name ComfyUI's default graph asks for.
/// </summary>
public static class DemoAssets
{
    public const string UpscaleModelName = "RealESRGAN_x4plus.pth";

    /// <summary>The checkpoint default-txt2img.json names; the demo's is a random-weight stand-in (it renders noise).</summary>
    public const string CheckpointName = "v1-5-pruned-emaonly.safetensors";
    public const string ExampleImageName = "example.png";

    /// <summary>A 4x RRDBNet with 8 features and 1 block, random weights, saved like torch.save (zip pickle).</summary>
    public static void WriteTinyUpscaleModel(string path)
    {
        using var scope = NewDisposeScope();
        using var net = new RrdbNet(new RrdbNetConfig(3, 3, 8, 1, 4, 4));
        PyTorchPickler.PickleStateDict(path, new Hashtable(net.state_dict()));
    }

    /// <summary>The tiny preset (22 MB, fp32): the default graph renders at 512x512 in seconds on a CPU.</summary>
    public static void WriteTinyCheckpoint(string path) => RandomCheckpoint.Write(CheckpointPreset.Tiny, path, "fp32");

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
