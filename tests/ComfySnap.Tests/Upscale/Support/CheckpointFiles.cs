using System.Collections;
using ComfySnap.Diffusion.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale.Support;

/// <summary>Writes test checkpoints at test time, in the two formats ComfyUI users have on disk.</summary>
public static class CheckpointFiles
{
    public static string WriteSafetensors(string directory, string name, Dictionary<string, Tensor> weights)
    {
        var path = Path.Combine(directory, name);
        SafetensorsWriter.Save(path, weights);
        return path;
    }

    /// <summary>A zip-format torch.save file; with <paramref name="wrappers"/> the weights sit under those keys, as in Real-ESRGAN's releases.</summary>
    public static string WritePth(string directory, string name, Dictionary<string, Tensor> weights, params string[] wrappers)
    {
        var path = Path.Combine(directory, name);
        var root = wrappers.Length == 0 ? new Hashtable(weights) : [];

        foreach (var wrapper in wrappers)
        {
            root[wrapper] = new Hashtable(weights);
        }

        PyTorchPickler.PickleStateDict(path, root);
        return path;
    }
}
