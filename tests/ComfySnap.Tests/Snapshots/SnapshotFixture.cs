using ComfySnap.Snapshots;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;

namespace ComfySnap.Tests.Snapshots;

/// <summary>
/// Builds one real snapshot for the snapshot tests: the worker with the example node pack and a
/// preloaded SD 1.x checkpoint (random weights, preset "small", fp32, 60 MB: UNet and VAE mapped
/// from the file, CLIP converted once into models/.converted), prepared in its own PID namespace
/// and dumped with CRIU.
/// </summary>
public sealed class SnapshotFixture : IAsyncLifetime
{
    public const string Secret = "s3cr3t-rabbit-password-7f1d";

    public string Root { get; } = TestEnvironment.NewTempDirectory("snapshot");

    public string SnapshotDirectory => Path.Combine(Root, "snap");

    public string ModelsDirectory => Path.Combine(Root, "models");

    public const string CheckpointName = "sd-small.safetensors";

    /// <summary>The snapshot is signed with this key (given to the builder as a secret file).</summary>
    public const string SigningKeyA = "key-A-5b0c1e9f7d2a4c6e8b1f3a5d";

    public string SigningKeyAFile => Path.Combine(Root, "signing-key-a");

    public string ModelPath => Path.Combine(ModelsDirectory, "checkpoints", CheckpointName);

    public SnapshotManifest Manifest { get; private set; } = null!;

    public static string WorkerDll => TestEnvironment.ProjectDll("src/Worker", "ComfySnap.Worker");

    public static CriuRunner Criu => new(Options.Create(new CriuOptions { Path = TestEnvironment.Criu }), NullLogger<CriuRunner>.Instance);

    public async Task InitializeAsync()
    {
        RandomCheckpoint.Write(CheckpointPreset.Small, ModelPath, "fp32", seed: 7);

        TestEnvironment.InstallExamplePack(Path.Combine(Root, "node_packs"));

        await File.WriteAllTextAsync(SigningKeyAFile, SigningKeyA + "\n");
        Manifest = await BuildWithCliAsync(SnapshotDirectory, Path.Combine(Root, "node_packs"));
    }

    // The real SnapshotBuilder command line, with a secret in its own environment that must not
    // reach the prepared worker (the test process's environment is never changed).
    private async Task<SnapshotManifest> BuildWithCliAsync(string output, string nodePacks)
    {
        var info = new System.Diagnostics.ProcessStartInfo(TestEnvironment.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            TestEnvironment.ProjectDll("src/SnapshotBuilder", "ComfySnap.SnapshotBuilder"), "build", "--out", output, "--worker", WorkerDll,
            "--models-dir", ModelsDirectory, "--node-packs", nodePacks, "--preload", "checkpoints/" + CheckpointName, "--signing-key-file", SigningKeyAFile,
        })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["COMFYSNAP_Bus__RabbitMq__Password"] = Secret;

        // The test services' real credentials too, as an operator's environment would hold them.
        info.Environment["COMFYSNAP_RABBITMQ_PASSWORD"] = TestEnvironment.RabbitMqPassword;
        info.Environment["COMFYSNAP_Cache__Redis"] = TestEnvironment.RedisEndpoint;
        info.Environment["COMFYSNAP_DOTNET"] = TestEnvironment.Dotnet;
        info.Environment["COMFYSNAP_CRIU"] = TestEnvironment.Criu;
        using var process = System.Diagnostics.Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"snapshot build failed ({process.ExitCode}):\n{stdout}\n{await stderr}");
        }

        return await SnapshotManifest.ReadAsync(output, CancellationToken.None);
    }

    /// <summary>
    /// A copy of the snapshot for a test to damage: the manifest (and its signature unless
    /// <paramref name="withSignature"/> is false) copied, the images linked, or copied when
    /// <paramref name="copyImages"/> (so they can be changed without touching the shared snapshot).
    /// </summary>
    public string CopyOf(string name, bool copyImages = false, bool withSignature = true)
    {
        var copy = Path.Combine(Root, name);
        var images = Path.Combine(copy, SnapshotManifest.ImagesFolder);
        Directory.CreateDirectory(copy);
        if (copyImages)
        {
            Directory.CreateDirectory(images);
            foreach (var f in Directory.GetFiles(Path.Combine(SnapshotDirectory, SnapshotManifest.ImagesFolder)))
            {
                File.Copy(f, Path.Combine(images, Path.GetFileName(f)));
            }
        }
        else
        {
            Directory.CreateSymbolicLink(images, Path.Combine(SnapshotDirectory, SnapshotManifest.ImagesFolder));
        }

        File.Copy(Path.Combine(SnapshotDirectory, SnapshotManifest.FileName), Path.Combine(copy, SnapshotManifest.FileName));
        if (withSignature)
        {
            File.Copy(Path.Combine(SnapshotDirectory, ManifestSignature.FileName), Path.Combine(copy, ManifestSignature.FileName));
        }

        return copy;
    }

    /// <summary>A child `serve` worker's settings for this snapshot on top of a bus harness's, with a work folder of its own.</summary>
    public Dictionary<string, string?> ServeSettings(IReadOnlyDictionary<string, string?> busSettings) => new(busSettings)
    {
        ["Snapshot:Directory"] = SnapshotDirectory,
        ["Snapshot:WorkDirectory"] = Path.Combine(Root, "serve-work-" + Guid.NewGuid().ToString("N")[..6]),
        ["Snapshot:WorkerDirectory"] = Path.GetDirectoryName(WorkerDll),
        ["Snapshot:HandshakeTimeout"] = "00:01:30",
        ["Criu:Path"] = TestEnvironment.Criu,
    };

    public SnapshotRestorer Restorer(
        string? directory = null, TimeSpan? handshake = null, bool lazyPages = false, string? signingKeyFile = null,
        bool prefetch = true, WeightsPageIn pageIn = WeightsPageIn.BeforeReady, string unetDtype = "fp32") => new(
        Criu,
        Options.Create(new SnapshotOptions
        {
            Directory = directory ?? SnapshotDirectory,
            WorkDirectory = Path.Combine(Root, "restore-work"),
            WorkerDirectory = Path.GetDirectoryName(WorkerDll)!,
            HandshakeTimeout = handshake ?? TimeSpan.FromSeconds(60),
            LazyPages = lazyPages,
            SigningKeyFile = signingKeyFile,
            Prefetch = prefetch,
            PageInWeights = pageIn,
        }),
        Options.Create(new ModelStoreOptions { UnetDtype = unetDtype }),
        NullLogger<SnapshotRestorer>.Instance);

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
