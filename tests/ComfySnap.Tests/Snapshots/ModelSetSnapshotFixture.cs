using System.Globalization;
using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Snapshots;
using ComfySnap.Tests.Support;

namespace ComfySnap.Tests.Snapshots;

/// <summary>
/// Two model-set snapshots built by one real `SnapshotBuilder build --model-set a=... --model-set b=...`
/// run: set a preloads checkpoint sd-a, set b checkpoint sd-b (random "small" SD 1.x weights, 60 MB each),
/// each in sets/NAME with its own manifest.
/// </summary>
public sealed class ModelSetSnapshotFixture : IAsyncLifetime
{
    public const string CheckpointA = "sd-a.safetensors";
    public const string CheckpointB = "sd-b.safetensors";

    public string Root { get; } = TestEnvironment.NewTempDirectory("model-sets");

    public string SetsDirectory => Path.Combine(Root, "sets");

    public string ModelsDirectory => Path.Combine(Root, "models");

    public static ModelSet SetOf(string checkpoint) => ModelSet.Of(["checkpoints/" + checkpoint])!;

    public async Task InitializeAsync()
    {
        RandomCheckpoint.Write(CheckpointPreset.Small, Path.Combine(ModelsDirectory, "checkpoints", CheckpointA), "fp32", seed: 11);
        RandomCheckpoint.Write(CheckpointPreset.Small, Path.Combine(ModelsDirectory, "checkpoints", CheckpointB), "fp32", seed: 12);
        TestEnvironment.InstallExamplePack(Path.Combine(Root, "node_packs"));
        await SnapshotBuilderCli.BuildAsync(
        [
            "--out", SetsDirectory, "--worker", SnapshotFixture.WorkerDll, "--models-dir", ModelsDirectory, "--node-packs", Path.Combine(Root, "node_packs"),
            "--model-set", $"a=checkpoints/{CheckpointA}", "--model-set", $"b=checkpoints/{CheckpointB}",
        ]);
    }

    /// <summary>
    /// A `serve` worker restored from set <paramref name="start"/>'s snapshot, routing on, that may switch to
    /// the sets named in <paramref name="switchable"/> (Snapshot:ModelSets), on top of a bus harness's settings.
    /// The test checkpoints are 60 MB, under Snapshot:SwitchMinBytes' default: this overload sets it to 0 so they switch.
    /// </summary>
    public Dictionary<string, string?> ServeSettings(IReadOnlyDictionary<string, string?> busSettings, string start, params string[] switchable) =>
        ServeSettings(busSettings, start, switchMinBytes: 0, switchable);

    /// <summary>As above with Snapshot:SwitchMinBytes set to <paramref name="switchMinBytes"/> (null: the default).</summary>
    public Dictionary<string, string?> ServeSettings(IReadOnlyDictionary<string, string?> busSettings, string start, long? switchMinBytes, params string[] switchable)
    {
        var settings = new Dictionary<string, string?>(busSettings)
        {
            ["Snapshot:Directory"] = Path.Combine(SetsDirectory, start),
            ["Snapshot:ModelSetDirectory"] = SetsDirectory,
            ["Snapshot:WorkDirectory"] = Path.Combine(Root, "serve-work-" + Guid.NewGuid().ToString("N")[..6]),
            ["Snapshot:WorkerDirectory"] = Path.GetDirectoryName(SnapshotFixture.WorkerDll),
            ["Snapshot:HandshakeTimeout"] = "00:01:30",
            ["Criu:Path"] = TestEnvironment.Criu,
            ["Routing:Enabled"] = "true",
            ["Bus:HeartbeatInterval"] = "00:00:01",
        };
        if (switchMinBytes is { } min)
        {
            settings["Snapshot:SwitchMinBytes"] = min.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var name in switchable)
        {
            settings[$"Snapshot:ModelSets:{name}:0"] = "checkpoints/" + (name == "a" ? CheckpointA : CheckpointB);
        }

        return settings;
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Leave it for the OS to clean.
        }

        return Task.CompletedTask;
    }
}
