using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>One tensor a model definition asks for: what a checkpoint must contain.</summary>
public sealed record WeightRequest(string Key, long[] Shape, WeightRole Role, long FanIn);

/// <summary>Records every tensor a model asks for without loading anything (the model is never run).</summary>
public sealed class ShapeRecorder : WeightBinder, IDisposable
{
    private readonly List<WeightRequest> _requests = [];
    private readonly torch.Tensor _placeholder = torch.empty(0);

    public IReadOnlyList<WeightRequest> Requests => _requests;

    public override torch.Tensor Bind(string key, long[] shape, WeightRole role, long fanIn)
    {
        _requests.Add(new WeightRequest(key, shape, role, fanIn));
        return _placeholder;
    }

    public void Dispose() => _placeholder.Dispose();
}
