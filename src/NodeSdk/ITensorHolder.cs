using TorchSharp;

namespace ComfySnap.NodeSdk;

/// <summary>
/// A node value that holds tensors (LATENT, CONDITIONING...). The engine owns those tensors once
/// a node returns the value: it moves them out of the node's dispose scope, sizes them for the
/// node cache and frees them with the value.
/// </summary>
public interface ITensorHolder
{
    IEnumerable<torch.Tensor> Tensors { get; }

    /// <summary>The same value with every tensor replaced by <paramref name="map"/>(tensor).</summary>
    ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map);
}
