using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// A LoRA file ("loras"), loaded once and shared: its tensors by key in their stored dtype.
/// Safetensors files are mapped, not read (fp16 LoRAs stay half the size and in the page cache);
/// patches cast the pairs they use to float32, as ComfyUI does.
/// </summary>
public sealed class LoraFile : IPageableModel, IDisposable
{
    private LoraFile(string name, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyList<string> mappedFiles)
    {
        // The file is shared by every job: its tensors must not belong to the loading node's dispose scope.
        foreach (var tensor in tensors.Values)
        {
            tensor.DetachFromDisposeScope();
        }

        Name = name;
        Tensors = tensors;
        MappedFiles = mappedFiles;
    }

    /// <summary>The file name, for messages.</summary>
    public string Name { get; }

    public IReadOnlyDictionary<string, torch.Tensor> Tensors { get; }

    public IReadOnlyList<string> MappedFiles { get; }

    public static LoraFile Load(string path)
    {
        var name = Path.GetFileName(path);
        if (StateDictLoader.IsSafetensors(path))
        {
            try
            {
                return new LoraFile(name, MappedSafetensors.Read(path), [Path.GetFullPath(path)]);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"LoRA '{name}' is not a readable safetensors file: {e.Message}", e);
            }
        }

#pragma warning disable CA2000 // the tensors are all a StateDict holds, and the LoraFile takes them over
        return new LoraFile(name, StateDictLoader.Load(path).Tensors, []);
#pragma warning restore CA2000
    }

    public long PageIn(CancellationToken cancellationToken) =>
        MappedFiles.Count == 0 ? 0 : MappedWeights.PageIn(Tensors.Values, cancellationToken);

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
        {
            tensor.Dispose();
        }
    }
}
