using ComfySnap.NodeSdk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace ComfySnap.Engine;

/// <summary>
/// The only place that decides the compute device. While a snapshot is prepared the GPU is
/// masked: the answer is CPU and CUDA is never touched, so nothing GPU-bound lands in the image.
/// <see cref="Initialize"/> runs after the mask is lifted (cold boot, or after a restore).
/// </summary>
public sealed class DeviceService(IOptions<DeviceOptions> options, ILogger<DeviceService> logger) : IDeviceService
{
    private torch.Device? _device;

    /// <summary>True while preparing a snapshot.</summary>
    public bool Masked { get; private set; }

    public torch.Device ComputeDevice => Masked ? torch.CPU : _device ?? torch.CPU;

    public void Mask() => Masked = true;

    /// <summary>Lifts the mask and picks the device; returns its name for the boot report.</summary>
    public string Initialize()
    {
        Masked = false;
        _device = Choose(options.Value.Preference);
        logger.LogInformation("Compute device: {Device}", _device);
        return _device.ToString();
    }

    private static torch.Device Choose(string preference)
    {
#if TORCH_CUDA
        if (preference is "cuda" or "auto" && torch.cuda.is_available())
        {
            return torch.CUDA;
        }

        if (preference == "cuda")
        {
            throw new InvalidOperationException("Device:Preference is 'cuda' but no CUDA device is available");
        }
#else
        if (preference == "cuda")
        {
            throw new InvalidOperationException("Device:Preference is 'cuda' but this is a CPU build (build with -p:TorchBackend=cuda)");
        }
#endif
        return torch.CPU;
    }
}
