using ComfySnap.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ComfySnap.Bench;

/// <summary>Paths and tools every suite uses.</summary>
public sealed record BenchContext(string RepoRoot, string WorkDirectory, string WorkerDll, string Dotnet, string NodePackDirectory)
{
    public CriuRunner Criu { get; } = new(Options.Create(new CriuOptions { Timeout = TimeSpan.FromMinutes(5) }), NullLogger<CriuRunner>.Instance);

    public static BenchContext FromEnvironment()
    {
        var repo = Environment.GetEnvironmentVariable("COMFYSNAP_REPO") ?? Directory.GetCurrentDirectory();
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))) ?? "Release";
        // COMFYSNAP_BENCH_WORK: a work folder of its own, for a checkout whose .comfysnap is shared with others (git
        // worktrees): the node packs copied there are checked against each snapshot's manifest, and another checkout's
        // copy makes every restore fall back to a cold boot.
        var work = Environment.GetEnvironmentVariable("COMFYSNAP_BENCH_WORK") is { Length: > 0 } own ? own : Path.Combine(repo, ".comfysnap", "bench");
        var packs = Path.Combine(work, "node_packs");
        // Every shipped node pack: the example pack's build output.
        var example = Path.Combine(repo, "src", "NodePacks", "ExamplePack", "bin", configuration, "net10.0");
        var target = Path.Combine(packs, "ComfySnap.ExamplePack");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(example))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        return new BenchContext(repo, work, Path.Combine(repo, "src", "Worker", "bin", configuration, "net10.0", "ComfySnap.Worker.dll"),
            Environment.GetEnvironmentVariable("COMFYSNAP_DOTNET") ?? "dotnet", packs);
    }
}
