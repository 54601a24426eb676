using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Snapshots;
using ComfySnap.Tools;

namespace ComfySnap.Tests.Examples;

/// <summary>
/// One real snapshot holding every model the shipped SDXL and ControlNet graphs load, under the
/// names they load them by: random-weight stand-ins for SDXL base (sdxl-tiny), the SDXL refiner
/// (sdxl-refiner-tiny, fp16: its CLIP-G and UNet come from a converted side file), SD 1.5 (tiny)
/// and its canny ControlNet (controlnet-tiny), all preloaded and warmed up by the SnapshotBuilder's
/// command line, then dumped with CRIU.
/// </summary>
public sealed class ExampleModelsSnapshotFixture : IAsyncLifetime
{
    public const string SdxlBase = "sd_xl_base_1.0.safetensors";
    public const string SdxlRefiner = "sd_xl_refiner_1.0.safetensors";

    public string Root { get; } = TestEnvironment.NewTempDirectory("example-snapshot");

    public string ModelsDirectory => Path.Combine(Root, "models");

    public string SnapshotDirectory => Path.Combine(Root, "snap");

    public SnapshotManifest Manifest { get; private set; } = null!;

    public static string WorkerDll => TestEnvironment.ProjectDll("src/Worker", "ComfySnap.Worker");

    public static IReadOnlyList<string> Preloads { get; } =
    [
        "checkpoints/" + SdxlBase,
        "checkpoints/" + SdxlRefiner,
        "checkpoints/" + DemoAssets.CheckpointName,
        "controlnet/" + DemoAssets.ControlNetName,
    ];

    public async Task InitializeAsync()
    {
        var checkpoints = Path.Combine(ModelsDirectory, "checkpoints");
        RandomCheckpoint.Write(SdxlCheckpointPreset.Tiny, Path.Combine(checkpoints, SdxlBase), "fp32");
        RandomCheckpoint.Write(SdxlCheckpointPreset.RefinerTiny, Path.Combine(checkpoints, SdxlRefiner), "fp16");
        DemoAssets.WriteTinyCheckpoint(Path.Combine(checkpoints, DemoAssets.CheckpointName));
        Directory.CreateDirectory(Path.Combine(ModelsDirectory, "controlnet"));
        DemoAssets.WriteControlNet(Path.Combine(ModelsDirectory, "controlnet", DemoAssets.ControlNetName), CheckpointPreset.Tiny);

        TestEnvironment.InstallExamplePack(Path.Combine(Root, "node_packs"));
        var arguments = new List<string>
        {
            "--out", SnapshotDirectory, "--worker", WorkerDll, "--models-dir", ModelsDirectory, "--node-packs", Path.Combine(Root, "node_packs"),
        };
        foreach (var preload in Preloads)
        {
            arguments.AddRange(["--preload", preload]);
        }

        await SnapshotBuilderCli.BuildAsync(arguments);
        Manifest = await SnapshotManifest.ReadAsync(SnapshotDirectory, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A restored worker still holding a file: the temp folder is cleaned with the machine.
        }

        return Task.CompletedTask;
    }
}
