using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using Spectre.Console;
using TorchSharp;

namespace ComfySnap.Bench;

/// <summary>
/// The benchmarks' models folder (.comfysnap/bench/models, one sub-folder per kind): random-weight
/// SD 1.x and SDXL checkpoints written once and reused while they are whole (the file is as long as its
/// header says and holds the tensors the preset needs). Converted weights go to models/.converted
/// as the worker writes them, so every suite and profile shares one conversion per checkpoint.
/// </summary>
public sealed class BenchModels(string directory)
{
    public const string Kind = "checkpoints";

    /// <summary>The folder, symbolic links resolved: converted weights are keyed by the checkpoint's path, so every checkout sharing .comfysnap shares them.</summary>
    public string Directory { get; } = RealPath(directory);

    public string PathOf(string name) => Path.Combine(Directory, Kind, name);

    /// <summary>
    /// A checkpoint of <paramref name="preset"/> (its default dtype unless given) from <paramref name="seed"/>
    /// (0: the suites' shared one; another seed: a distinct file of the same size, e.g. the fleet suite's several models); returns its name under checkpoints/.
    /// </summary>
    public string Checkpoint(IRandomCheckpointPreset preset, string? dtype = null, int seed = 0)
    {
        dtype ??= preset.DefaultDType;
        var name = seed == 0 ? $"bench-{preset.Name}-{dtype}.safetensors" : $"bench-{preset.Name}-{dtype}-seed{seed}.safetensors";
        var path = PathOf(name);
        var expected = preset.Layout().Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b)) * ItemSize(dtype);
        if (!IsWhole(path, expected))
        {
            Generate(path, $"{preset.Name} {dtype}", temporary => RandomCheckpoint.Write(preset, temporary, dtype, seed));
        }

        return name;
    }

    /// <summary>
    /// The boot suite's default profile: a small SD checkpoint (fp32) plus float32 tensors no model
    /// uses (ignored like EMA copies, but mapped and paged in with the rest) up to <paramref name="mib"/> MiB.
    /// </summary>
    public string PaddedCheckpoint(int mib)
    {
        var name = $"bench-small-padded-{mib}mib.safetensors";
        var path = PathOf(name);
        var small = CheckpointPreset.Small.Layout().Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b)) * 4;
        var padding = Padding(mib, small);
        if (!IsWhole(path, small + padding.Sum(p => p.Elements * 4)))
        {
            Generate(path, $"small fp32 padded to {mib} MiB", temporary =>
            {
                var core = temporary + ".small";
                RandomCheckpoint.Write(CheckpointPreset.Small, core, "fp32", seed: 0);
                try
                {
                    var tensors = MappedSafetensors.Read(core);
                    try
                    {
                        var entries = tensors.Select(t => new SafetensorsWriter.Entry(t.Key, t.Value.dtype, t.Value.shape))
                            .Concat(padding.Select(p => new SafetensorsWriter.Entry(p.Key, torch.float32, [p.Elements])))
                            .ToList();
                        using var generator = new torch.Generator(1);
                        SafetensorsWriter.Save(temporary, entries,
                            key => tensors.TryGetValue(key, out var t) ? t.alias() : torch.rand(padding.Single(p => p.Key == key).Elements, generator: generator),
                            disposeProduced: true, MappedSafetensors.ReadMetadata(core));
                    }
                    finally
                    {
                        foreach (var t in tensors.Values)
                        {
                            t.Dispose();
                        }
                    }
                }
                finally
                {
                    File.Delete(core);
                }
            });
        }

        return name;
    }

    // Padding in tensors of at most 256 MiB (no single huge allocation while writing).
    private static List<(string Key, long Elements)> Padding(int mib, long modelBytes)
    {
        var remaining = Math.Max(0, (mib * 1024L * 1024L) - modelBytes) / 4;
        var parts = new List<(string, long)>();
        for (var i = 0; remaining > 0; i++)
        {
            var n = Math.Min(remaining, 64L * 1024 * 1024);
            parts.Add(($"bench_padding.{i:D3}", n));
            remaining -= n;
        }

        return parts;
    }

    private void Generate(string path, string what, Action<string> write)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Converted weights of an older file of this name are stale (the side file's key changes).
        var converted = Path.Combine(Directory, ".converted");
        if (System.IO.Directory.Exists(converted))
        {
            foreach (var stale in System.IO.Directory.GetFiles(converted, Path.GetFileNameWithoutExtension(path) + ".*.compute.safetensors"))
            {
                File.Delete(stale);
            }
        }

        AnsiConsole.MarkupLineInterpolated($"  generating {Path.GetFileName(path)} ({what}, random weights; once, then reused) ...");
        var watch = Stopwatch.StartNew();
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        AnsiConsole.MarkupLineInterpolated($"  written {new FileInfo(path).Length / 1048576.0:F0} MiB in {watch.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>True when <paramref name="path"/> is a whole safetensors file with <paramref name="dataBytes"/> bytes of tensors.</summary>
    private static bool IsWhole(string path, long dataBytes)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var file = File.OpenRead(path);
            Span<byte> prefix = stackalloc byte[8];
            file.ReadExactly(prefix);
            var headerLength = BinaryPrimitives.ReadInt64LittleEndian(prefix);
            if (headerLength <= 0 || headerLength > 100L * 1024 * 1024 || file.Length != 8 + headerLength + dataBytes)
            {
                return false;
            }

            var header = new byte[headerLength];
            file.ReadExactly(header);
            using var json = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '));
            var end = json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
                .Select(p => p.Value.GetProperty("data_offsets")[1].GetInt64()).DefaultIfEmpty(0).Max();
            return end == dataBytes;
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return false;
        }
    }

    private static long ItemSize(string dtype) => dtype == "fp32" ? 4 : 2;

    /// <summary>Where the worker maps the converted weights of <paramref name="name"/> from (present once it was loaded).</summary>
    public string ConvertedFileOf(string name) => ComputeWeights.SideFilePath(PathOf(name), Path.Combine(Directory, ".converted"));

    /// <summary>The path with every symbolic link on the way resolved.</summary>
    public static string RealPath(string path)
    {
        var current = "/";
        foreach (var part in Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                current = RealPath(target.FullName);
            }
        }

        return current;
    }
}
