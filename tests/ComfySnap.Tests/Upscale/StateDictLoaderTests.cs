using ComfySnap.Tests.Support;
using ComfySnap.Tests.Upscale.Support;
using ComfySnap.Diffusion.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale;

/// <summary>Reading .safetensors and zip-format .pth checkpoints into CPU float32 tensors.</summary>
public sealed class StateDictLoaderTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewTempDirectory("sdload");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Safetensors_round_trip_keeps_names_shapes_and_values()
    {
        using var scope = NewDisposeScope();
        var weights = new Dictionary<string, Tensor> { ["a.weight"] = randn(4, 3, 3, 3), ["a.bias"] = randn(4) };
        var path = CheckpointFiles.WriteSafetensors(directory, "m.safetensors", weights);

        using var loaded = StateDictLoader.Load(path);

        Assert.Equal(weights.Keys.Order(), loaded.Tensors.Keys.Order());
        Assert.All(weights, kv => TensorAssert.Identical(kv.Value, loaded.Tensors[kv.Key], kv.Key));
        Assert.All(loaded.Tensors.Values, t => Assert.Equal(DeviceType.CPU, t.device_type));
    }

    [Fact]
    public void Half_precision_weights_are_widened_to_float32()
    {
        using var scope = NewDisposeScope();
        var half = tensor(new[] { 0.5f, -1.25f, 3f }).to_type(float16);
        var path = CheckpointFiles.WriteSafetensors(directory, "h.safetensors", new() { ["w"] = half });

        using var loaded = StateDictLoader.Load(path);

        Assert.Equal(float32, loaded.Tensors["w"].dtype);
        Assert.Equal(new[] { 0.5f, -1.25f, 3f }, loaded.Tensors["w"].data<float>().ToArray());
    }

    [Fact]
    public void Pth_round_trip_keeps_names_and_values()
    {
        using var scope = NewDisposeScope();
        var weights = new Dictionary<string, Tensor> { ["conv.weight"] = randn(2, 3, 3, 3), ["conv.bias"] = randn(2) };
        var path = CheckpointFiles.WritePth(directory, "m.pth", weights);

        using var loaded = StateDictLoader.Load(path);

        Assert.Equal(weights.Keys.Order(), loaded.Tensors.Keys.Order());
        Assert.All(weights, kv => TensorAssert.Identical(kv.Value, loaded.Tensors[kv.Key], kv.Key));
    }

    [Fact]
    public void Real_esrgan_wrappers_are_unwrapped_preferring_the_ema_weights()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(directory, "both.pth");
        var root = new System.Collections.Hashtable
        {
            ["params"] = new System.Collections.Hashtable { ["w"] = zeros(2) },
            ["params_ema"] = new System.Collections.Hashtable { ["w"] = ones(2) },
        };
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(path, root);

        using var loaded = StateDictLoader.Load(path);

        Assert.Equal(["w"], loaded.Tensors.Keys);
        Assert.Equal(new[] { 1f, 1f }, loaded.Tensors["w"].data<float>().ToArray());
    }

    [Fact]
    public void A_params_only_checkpoint_is_unwrapped()
    {
        using var scope = NewDisposeScope();
        var path = CheckpointFiles.WritePth(directory, "p.pth", new() { ["w"] = full(3, 2f) }, "params");

        using var loaded = StateDictLoader.Load(path);

        Assert.Equal(new[] { 2f, 2f, 2f }, loaded.Tensors["w"].data<float>().ToArray());
    }

    [Fact]
    public void A_legacy_non_zip_pickle_gives_a_clear_error()
    {
        var path = Path.Combine(directory, "old.pth");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc]);

        var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(path));

        Assert.Contains("legacy", error.Message);
    }

    [Fact]
    public void A_garbage_safetensors_file_gives_a_clear_error()
    {
        var path = Path.Combine(directory, "bad.safetensors");
        File.WriteAllBytes(path, [5, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x']);

        var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(path));

        Assert.Contains("bad.safetensors", error.Message);
    }

    [Fact]
    public void A_missing_file_is_reported_as_such()
    {
        Assert.Throws<FileNotFoundException>(() => StateDictLoader.Load(Path.Combine(directory, "none.pth")));
    }
}
