using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// ComfyUI's UPSCALE_MODEL value: an image-to-image network plus what callers need without running it
/// (scale, channels, size multiple). It lives on the CPU in eval mode without gradients, and is shared
/// through the model store, so a run that moves it to another device holds <see cref="DeviceLock"/>.
/// </summary>
public sealed class UpscaleModel : IDisposable
{
    public UpscaleModel(nn.Module<Tensor, Tensor> module, string architecture, int scale, int inChannels, int outChannels, int sizeMultiple = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeMultiple, 1);
        Module = module;
        Architecture = architecture;
        Scale = scale;
        InChannels = inChannels;
        OutChannels = outChannels;
        SizeMultiple = sizeMultiple;
    }

    public nn.Module<Tensor, Tensor> Module { get; }

    public string Architecture { get; }

    public int Scale { get; }

    public int InChannels { get; }

    public int OutChannels { get; }

    /// <summary>Input height and width are padded up to a multiple of this before the network runs.</summary>
    public int SizeMultiple { get; }

    /// <summary>Held while the shared module is used (it may be moved to the compute device and back).</summary>
    public SemaphoreSlim DeviceLock { get; } = new(1, 1);

    /// <summary>
    /// Runs the network on [B,C,H,W] (on the module's device): pads to <see cref="SizeMultiple"/>
    /// by edge replication, then crops the result to [B,out,H*scale,W*scale].
    /// </summary>
    public Tensor Run(Tensor input)
    {
        using var scope = NewDisposeScope();
        var height = input.shape[2];
        var width = input.shape[3];
        var padH = (SizeMultiple - (height % SizeMultiple)) % SizeMultiple;
        var padW = (SizeMultiple - (width % SizeMultiple)) % SizeMultiple;
        var x = padH == 0 && padW == 0
            ? input
            : nn.functional.pad(input, [0, padW, 0, padH], PaddingModes.Replicate);

        var output = Module.call(x);
        if (padH != 0 || padW != 0)
        {
            output = output[.., .., ..(int)(height * Scale), ..(int)(width * Scale)];
        }

        return output.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Module.Dispose();
        DeviceLock.Dispose();
    }
}
