using ComfySnap.Tests.Support;
using ComfySnap.Diffusion.Models;
using TorchSharp;
using TorchSharp.PyBridge;

namespace ComfySnap.Tests.Upscale;

/// <summary>Safetensors are mapped, not read: same tensors as a plain read, weights backed by the file.</summary>
public sealed class MappedSafetensorsTests : IDisposable
{
    private readonly string _root = TestEnvironment.NewTempDirectory("safetensors");

    [Fact]
    public void Aligned_tensors_are_views_of_the_file_and_unaligned_ones_are_copied_with_equal_values()
    {
        using var scope = torch.NewDisposeScope();
        var written = new Dictionary<string, torch.Tensor>
        {
            // Sorted by name: the 7 f16 values (14 bytes) push the next f32 tensor off a 4-byte boundary.
            ["a.weight"] = torch.rand(3, 5),
            ["b.half"] = torch.rand(7).to_type(torch.float16),
            ["c.weight"] = torch.rand(2, 2, 3),
            ["d.index"] = torch.arange(0, 5, dtype: torch.int64),
        };
        var path = Path.Combine(_root, "mixed.safetensors");
        SafetensorsWriter.Save(path, written);

        var mapped = MappedSafetensors.Read(path);

        Assert.Equal(written.Keys.Order(), mapped.Keys.Order());
        foreach (var (name, tensor) in written)
        {
            Assert.Equal(tensor.dtype, mapped[name].dtype);
            Assert.Equal(tensor.shape, mapped[name].shape);
            Assert.True(tensor.equal(mapped[name]).all().item<bool>(), name);
        }

        Assert.Contains(path, File.ReadAllText("/proc/self/maps"));
        foreach (var t in mapped.Values)
        {
            t.Dispose();
        }
    }

    [Fact]
    public void A_file_with_an_unpadded_header_reads_like_pybridge_reads_it()
    {
        using var scope = torch.NewDisposeScope();
        var path = Path.Combine(_root, "unpadded.safetensors");
        Safetensors.SaveStateDict(path, new Dictionary<string, torch.Tensor> { ["w"] = torch.rand(33), ["v"] = torch.rand(4, 4) });
        var expected = Safetensors.LoadStateDict(path);

        using var state = StateDictLoader.Load(path);

        Assert.Equal(expected.Keys.Order(), state.Tensors.Keys.Order());
        Assert.All(expected, e => Assert.True(e.Value.equal(state.Tensors[e.Key]).all().item<bool>(), e.Key));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("outside")]
    [InlineData("dtype")]
    public void A_damaged_file_is_a_clear_error(string damage)
    {
        var path = Path.Combine(_root, $"{damage}.safetensors");
        using (var scope = torch.NewDisposeScope())
        {
            SafetensorsWriter.Save(path, new Dictionary<string, torch.Tensor> { ["w"] = torch.rand(64) });
        }

        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
                break;
            case "outside":
                File.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes(text.Replace("[0,256]", "[0,999]", StringComparison.Ordinal)));
                break;
            default:
                File.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes(text.Replace("\"F32\"", "\"Q42\"", StringComparison.Ordinal)));
                break;
        }

        var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(path));
        Assert.Contains($"'{damage}.safetensors' is not a readable safetensors file", error.Message);
        Assert.Contains(damage == "dtype" ? "unsupported dtype 'Q42'" : "outside the file's data", error.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
