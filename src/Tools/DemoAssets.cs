using System.Collections;
using ComfySnap.Diffusion.Imaging;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.Esrgan;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ComfySnap.Tools;

/// <summary>
/// Makes what the shipped workflows need when no real files exist: a tiny random RRDBNet, a small
/// image, a tiny random-weight SD 1.x checkpoint under the name ComfyUI's default graph asks for,
/// and a random-weight ControlNet with a control image for sd15-controlnet.json.
/// </summary>
public static class DemoAssets
{
    public const string UpscaleModelName = "RealESRGAN_x4plus.pth";

    /// <summary>The checkpoint default-txt2img.json names; the demo's is a random-weight stand-in (it renders noise).</summary>
    public const string CheckpointName = "v1-5-pruned-emaonly.safetensors";
    public const string ExampleImageName = "example.png";

    /// <summary>The ControlNet sd15-controlnet.json names; the demo's is a random-weight stand-in (make-checkpoint controlnet-*).</summary>
    public const string ControlNetName = "control_v11p_sd15_canny_fp16.safetensors";

    /// <summary>The control image sd15-controlnet.json loads from the input folder.</summary>
    public const string ControlImageName = "controlnet-canny-example.png";

    /// <summary>A 4x RRDBNet with 8 features and 1 block, random weights, saved like torch.save (zip pickle).</summary>
    public static void WriteTinyUpscaleModel(string path)
    {
        using var scope = NewDisposeScope();
        using var net = new RrdbNet(new RrdbNetConfig(3, 3, 8, 1, 4, 4));
        PyTorchPickler.PickleStateDict(path, new Hashtable(net.state_dict()));
    }

    /// <summary>The tiny preset (22 MB, fp32): the default graph renders at 512x512 in seconds on a CPU.</summary>
    public static void WriteTinyCheckpoint(string path) => RandomCheckpoint.Write(CheckpointPreset.Tiny, path, "fp32");

    /// <summary>A random-weight ControlNet for the <paramref name="checkpoint"/> preset's UNet (fp32).</summary>
    public static void WriteControlNet(string path, CheckpointPreset checkpoint) =>
        RandomControlNet.Write(ControlNetPreset.Named(ControlNetPreset.NamePrefix + checkpoint.Name), path, "fp32");

    /// <summary>A 96x96 edge map as a canny preprocessor draws one: white outlines (a circle, a square) on black.</summary>
    public static void WriteControlImage(string path)
    {
        using var scope = NewDisposeScope();
        var y = arange(96, ScalarType.Float32).view(96, 1).expand(96, 96);
        var x = arange(96, ScalarType.Float32).view(1, 96).expand(96, 96);
        var radius = ((x - 40) * (x - 40) + (y - 44) * (y - 44)).sqrt();
        var circle = (radius - 24).abs() < 1.5;
        var square = ((x - 72).abs().maximum((y - 70).abs()) - 14).abs() < 1.0;
        var edges = circle.logical_or(square).to_type(ScalarType.Float32).unsqueeze(2).expand(96, 96, 3).contiguous();
        File.WriteAllBytes(path, PngCodec.Encode(edges, 6));
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
