using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.Esrgan;

/// <summary>Builds an <see cref="UpscaleModel"/> around an <see cref="RrdbNet"/> from a checkpoint file or state dict.</summary>
public static class EsrganLoader
{
    public const string Architecture = "ESRGAN";

    public static UpscaleModel Load(string path)
    {
        using var stateDict = StateDictLoader.Load(path);
        return FromStateDict(stateDict);
    }

    /// <summary>Infers the architecture from <paramref name="stateDict"/> and copies the weights into a new network (the dict stays the caller's).</summary>
    public static UpscaleModel FromStateDict(StateDict stateDict)
    {
        var config = RrdbNetConfig.Infer(stateDict);
        var net = new RrdbNet(config);
        try
        {
            CopyWeights(net, stateDict);
            Freeze(net);
            return new UpscaleModel(net, Architecture, config.Scale, config.InChannels, config.OutChannels, config.SizeMultiple);
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>Strict load with errors that name the offending key (TorchSharp's own message does not).</summary>
    private static void CopyWeights(RrdbNet net, StateDict stateDict)
    {
        using var scope = NewDisposeScope();
        var expected = net.state_dict();
        foreach (var (key, target) in expected)
        {
            var source = stateDict.Require(key, $"not an RRDBNet (ESRGAN) state dict matching {net.Config}");
            if (!source.shape.SequenceEqual(target.shape))
            {
                throw new InvalidDataException($"RRDBNet weight '{key}' has shape [{string.Join(',', source.shape)}], expected [{string.Join(',', target.shape)}] for {net.Config}");
            }
        }

        var unexpected = stateDict.Tensors.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
        {
            throw new InvalidDataException($"not an RRDBNet (ESRGAN) state dict: unexpected key '{unexpected[0]}' ({unexpected.Count} unexpected in all)");
        }

        net.load_state_dict(stateDict.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value), strict: true);
    }

    /// <summary>Inference only: eval mode, no gradients, and parameters kept out of any caller's dispose scope.</summary>
    private static void Freeze(RrdbNet net)
    {
        net.eval();
        foreach (var parameter in net.parameters())
        {
            parameter.requires_grad = false;
            parameter.DetachFromDisposeScope();
        }
    }
}
