using ComfySnap.NodeSdk;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Core;

/// <summary>Reads IMAGE inputs: checks the [B,H,W,C] layout and moves them to the compute device.</summary>
public static class ImageTensors
{
    /// <summary>
    /// The input as float32 on the compute device. It may be the engine's own tensor: never
    /// dispose it, and never return it as an output without alias().
    /// </summary>
    public static Tensor Input(NodeInputs inputs, string name, NodeContext context)
    {
        var image = inputs.Tensor(name);
        if (image.dim() != 4 || image.shape[1] < 1 || image.shape[2] < 1 || image.shape[3] < 1)
        {
            throw new ArgumentException($"input '{name}' must be an IMAGE [B,H,W,C]; got [{string.Join(",", image.shape)}]");
        }

        var device = context.Device.ComputeDevice;
        var onDevice = image.device_type == device.type && image.device_index == device.index ? image : image.to(device);
        return onDevice.dtype == ScalarType.Float32 ? onDevice : onDevice.to(ScalarType.Float32);
    }
}
