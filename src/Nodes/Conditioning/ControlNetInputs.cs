using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.NodeSdk;
using ComfySnap.Nodes.Core;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>The inputs ControlNetApply and ControlNetApplyAdvanced share, declared as ComfyUI declares them.</summary>
internal static class ControlNetInputs
{
    public static InputSpec ControlNet => InputSpec.Link("control_net", ComfyTypes.ControlNet);

    public static InputSpec Image => InputSpec.Link("image", ComfyTypes.Image);

    public static InputSpec Strength => InputSpec.Float("strength", 1.0, 0.0, 10.0).WithStep(0.01);

    /// <summary>The control image as float32 IMAGE, checked against the channels the ControlNet's hint block takes.</summary>
    public static Tensor ControlImage(NodeInputs inputs, ControlNetFile controlNet, NodeContext context)
    {
        var image = ImageTensors.Input(inputs, "image", context);
        var channels = controlNet.Model.Config.HintChannels;
        return image.shape[3] == channels
            ? image
            : throw new ArgumentException($"ControlNet '{controlNet.Name}' takes {channels}-channel control images; the image has {image.shape[3]} channels");
    }
}
