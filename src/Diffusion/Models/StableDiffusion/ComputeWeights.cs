using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// A checkpoint's tensors in the dtype they are computed in, as file mappings. On CPU ComfyUI
/// computes in float32 and uses the CLIP weights rounded to float16; tensors already in that form
/// are mapped straight from the checkpoint, the rest are converted ONCE into a side file
/// (<c>NAME.KEY.compute.safetensors</c> in the conversion folder, keyed by the checkpoint's size,
/// time and name; <c>NAME.KEY.compute-bf16.safetensors</c> when the UNet computes in bfloat16
/// (Models:UnetDtype=bf16), which holds those weights in half the bytes) that is then mapped too. So every worker on a host shares the weights through
/// the page cache, and snapshot images do not carry them. Without a writable conversion folder
/// the converted tensors stay private copies in memory (and a warning says so).
/// </summary>
public sealed class ComputeWeights : IDisposable
{
    /// <summary>Bumped when the conversion rules change, so old side files are not reused.</summary>
    private const string ConversionVersion = "compute-v1";

    private ComputeWeights(Dictionary<string, torch.Tensor> tensors, IReadOnlyList<string> mappedFiles, string? conversionNote)
    {
        // Weights live as long as the model, not as long as whatever dispose scope loaded them (a node's).
        foreach (var tensor in tensors.Values)
        {
            tensor.DetachFromDisposeScope();
        }

        Tensors = tensors;
        MappedFiles = mappedFiles;
        ConversionNote = conversionNote;
    }

    public IReadOnlyDictionary<string, torch.Tensor> Tensors { get; }

    /// <summary>The files the tensors are mappings of (the checkpoint, and the converted side file if any).</summary>
    public IReadOnlyList<string> MappedFiles { get; }

    /// <summary>Why converted tensors are private copies rather than a mapped side file, or null.</summary>
    public string? ConversionNote { get; }

    /// <summary>
    /// Maps a checkpoint and makes its tensors compute-ready: <paramref name="keep"/> says which keys
    /// the model may use (others, such as EMA copies, are not converted), <paramref name="roundToHalf"/>
    /// which float weights ComfyUI rounds to float16 on CPU (the CLIP tower), <paramref name="renameKey"/>
    /// maps legacy key names, <paramref name="inBfloat16"/> which weights are computed in bfloat16
    /// (the UNet's with Models:UnetDtype=bf16; none when null), the rest in float32.
    /// </summary>
    public static ComputeWeights Open(string checkpointPath, string? conversionDirectory, Func<string, bool> keep, Func<string, bool> roundToHalf, Func<string, string> renameKey, Func<string, bool>? inBfloat16 = null)
    {
        var raw = MappedSafetensors.Read(checkpointPath);
        var tensors = new Dictionary<string, torch.Tensor>(raw.Count, StringComparer.Ordinal);
        foreach (var (key, tensor) in raw)
        {
            tensors[renameKey(key)] = tensor;
        }

        // CLIP's fp16 rounding ends in float32, so it wins over bfloat16 should both ever match.
        torch.ScalarType Target(string key) => !roundToHalf(key) && inBfloat16 is not null && inBfloat16(key) ? torch.bfloat16 : torch.float32;
        var toConvert = tensors
            .Where(kv => keep(kv.Key) && kv.Value.is_floating_point() && (kv.Value.dtype != Target(kv.Key) || roundToHalf(kv.Key)))
            .Select(kv => kv.Key)
            .ToList();
        var files = new List<string> { Path.GetFullPath(checkpointPath) };
        if (toConvert.Count == 0)
        {
            return new ComputeWeights(tensors, files, null);
        }

        torch.Tensor Convert(string key)
        {
            var source = tensors[key];
            return roundToHalf(key) ? source.to_type(torch.float16).to_type(torch.float32) : source.to_type(Target(key));
        }

        // The original view is released, so a fully converted checkpoint is not mapped at all.
        void Replace(string key, torch.Tensor replacement)
        {
            tensors[key].Dispose();
            tensors[key] = replacement;
        }

        string? note = null;
        var unetDtype = toConvert.Any(k => Target(k) == torch.bfloat16) ? torch.ScalarType.BFloat16 : torch.ScalarType.Float32;
        var sideFile = conversionDirectory is null ? null : SideFilePath(checkpointPath, conversionDirectory, unetDtype);
        if (sideFile is not null && TryEnsureSideFile(sideFile, toConvert, tensors, Target, Convert, out note))
        {
            var converted = MappedSafetensors.Read(sideFile);
            foreach (var (key, tensor) in converted)
            {
                Replace(key, tensor);
            }

            files.Add(Path.GetFullPath(sideFile));
        }
        else
        {
            note ??= "no conversion folder configured";
            foreach (var key in toConvert)
            {
                Replace(key, Convert(key));
            }
        }

        return new ComputeWeights(tensors, files, note);
    }

    /// <summary>
    /// Where the converted tensors of <paramref name="checkpointPath"/> live: changes whenever the
    /// checkpoint does, and differs by <paramref name="unetDtype"/> (an fp32 and a bf16 worker on one
    /// host each map their own).
    /// </summary>
    public static string SideFilePath(string checkpointPath, string conversionDirectory, torch.ScalarType unetDtype = torch.ScalarType.Float32)
    {
        var info = new FileInfo(checkpointPath);
        // fp32 keeps its historical name and key, so side files converted before bf16 existed stay valid.
        var suffix = unetDtype == torch.ScalarType.Float32 ? "compute" : $"compute-{UnetDtype.NameOf(unetDtype)}";
        var identity = unetDtype == torch.ScalarType.Float32
            ? $"{ConversionVersion}|{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}"
            : $"{ConversionVersion}|{suffix}|{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16].ToLowerInvariant();
        return Path.Combine(conversionDirectory, $"{Path.GetFileNameWithoutExtension(info.Name)}.{key}.{suffix}.safetensors");
    }

    private static bool TryEnsureSideFile(string sideFile, List<string> keys, Dictionary<string, torch.Tensor> tensors, Func<string, torch.ScalarType> target, Func<string, torch.Tensor> convert, out string? note)
    {
        note = null;
        if (File.Exists(sideFile))
        {
            return true;
        }

        // One per writer, not per process: two loads in one process (test fixtures, workers side by side) must not
        // write into the same temporary file and move a half-written one into place.
        var temporary = $"{sideFile}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(sideFile)!);
            var entries = keys.Select(k => new SafetensorsWriter.Entry(k, target(k), tensors[k].shape)).ToList();
            SafetensorsWriter.Save(temporary, entries, convert, disposeProduced: true);
            // Atomic: a concurrent worker either sees no file or a whole one (same bytes either way).
            File.Move(temporary, sideFile, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            note = $"cannot write converted weights to {Path.GetDirectoryName(sideFile)}: {e.Message}";
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
        {
            tensor.Dispose();
        }
    }
}
