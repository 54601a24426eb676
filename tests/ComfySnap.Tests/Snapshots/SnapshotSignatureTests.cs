using System.Text;
using ComfySnap.Contracts;
using ComfySnap.Snapshots;
using ComfySnap.Tests.Worker.Support;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Cli;

namespace ComfySnap.Tests.Snapshots;

/// <summary>Snapshots are code: with a key configured, only a snapshot signed with it is restored.</summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SnapshotSignatureTests(SnapshotFixture fixture)
{
    [Fact]
    public void Builder_signs_the_manifest_with_image_sha256_and_keeps_the_key_out_of_it()
    {
        Assert.True(File.Exists(Path.Combine(fixture.SnapshotDirectory, ManifestSignature.FileName)));
        Assert.Equal(fixture.Manifest.ImageFiles.Keys, fixture.Manifest.ImageSha256!.Keys);
        foreach (var file in new[] { SnapshotManifest.FileName, ManifestSignature.FileName })
        {
            Assert.DoesNotContain(SnapshotFixture.SigningKeyA, File.ReadAllText(Path.Combine(fixture.SnapshotDirectory, file)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Snapshot_signed_with_the_configured_key_restores()
    {
        var outcome = await fixture.Restorer(signingKeyFile: fixture.SigningKeyAFile).RestoreAsync(Config(), CancellationToken.None);
        await using var process = outcome.Process;

        Assert.True(outcome.Restored, outcome.Fallback?.Message);
        Assert.Contains(outcome.Phases, p => p.Name == "manifest read" && p.Detail!.Contains("signature verified", StringComparison.Ordinal));
        Assert.Contains(outcome.Phases, p => p.Name == "image check" && p.Detail!.Contains("SHA-256", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Snapshot_built_with_key_A_is_refused_with_key_B()
    {
        var keyB = Path.Combine(fixture.Root, "signing-key-b");
        await File.WriteAllTextAsync(keyB, "key-B-0f9e8d7c6b5a49382716");

        var outcome = await fixture.Restorer(signingKeyFile: keyB).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.SignatureInvalid, outcome.Fallback?.Kind);
        Assert.Null(outcome.Process);
    }

    [Fact]
    public async Task Manifest_edited_after_signing_is_refused()
    {
        var copy = Copy("edited", withSignature: true);
        // e.g. someone points a checksum at a file of their own: one changed byte of JSON.
        var path = Path.Combine(copy, SnapshotManifest.FileName);
        var text = await File.ReadAllTextAsync(path);
        await File.WriteAllTextAsync(path, text.Replace(fixture.Manifest.SnapshotId, fixture.Manifest.SnapshotId[..^1] + "x", StringComparison.Ordinal));

        var outcome = await fixture.Restorer(copy, signingKeyFile: fixture.SigningKeyAFile).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.SignatureInvalid, outcome.Fallback?.Kind);
        Assert.Contains("does not match", outcome.Fallback!.Message);
    }

    [Fact]
    public async Task Unsigned_snapshot_is_refused_when_a_key_is_configured()
    {
        var copy = Copy("unsigned", withSignature: false);

        var refused = await fixture.Restorer(copy, signingKeyFile: fixture.SigningKeyAFile).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.SignatureInvalid, refused.Fallback?.Kind);
        Assert.Contains("unsigned", refused.Fallback!.Message);
    }

    [Fact]
    public async Task Swapped_image_file_is_refused_before_the_restored_copy_runs()
    {
        var copy = Copy("swapped", withSignature: true, copyImages: true);
        // Two image files trade contents, as if taken from another snapshot; the signed manifest is untouched.
        var images = Directory.GetFiles(Path.Combine(copy, SnapshotManifest.ImagesFolder), "pages-*.img").OrderByDescending(f => new FileInfo(f).Length).ToList();
        var first = images[0];
        var other = Directory.GetFiles(Path.Combine(copy, SnapshotManifest.ImagesFolder), "*.img").First(f => f != first);
        var bytes = await File.ReadAllBytesAsync(first);
        File.Copy(other, first, overwrite: true);
        await File.WriteAllBytesAsync(other, bytes);

        var outcome = await fixture.Restorer(copy, signingKeyFile: fixture.SigningKeyAFile).RestoreAsync(Config(), CancellationToken.None);

        Assert.Equal(FallbackKind.ImageCorrupt, outcome.Fallback?.Kind);
        Assert.Contains("signed manifest", outcome.Fallback!.Message);
        Assert.Null(outcome.Process);
    }

    [Fact]
    public async Task Serve_with_another_key_cold_boots_with_SignatureInvalid()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        var keyB = Path.Combine(fixture.Root, "serve-signing-key-b");
        await File.WriteAllTextAsync(keyB, "key-B-serve-0f9e8d7c6b5a4938");
        var settings = new Dictionary<string, string?>(bus.Settings)
        {
            ["Snapshot:Directory"] = fixture.SnapshotDirectory,
            ["Snapshot:WorkDirectory"] = Path.Combine(fixture.Root, "serve-work"),
            ["Snapshot:WorkerDirectory"] = Path.GetDirectoryName(SnapshotFixture.WorkerDll),
            ["Snapshot:SigningKeyFile"] = keyB,
        };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var serve = Task.Run(() => ServeCommand.RunAsync(settings, stop.Token));
        try
        {
            var (booted, _) = await bus.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == settings["Bus:WorkerId"], TimeSpan.FromSeconds(60));
            Assert.Equal(BootMode.ColdBoot, booted.Mode);
            Assert.Equal(nameof(FallbackKind.SignatureInvalid), booted.FallbackReason?.Kind);
        }
        finally
        {
            await stop.CancelAsync();
            await serve;
        }
    }

    [Fact]
    public void Signature_covers_the_exact_manifest_bytes()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"a\":1}");
        var key = Encoding.UTF8.GetBytes(SnapshotFixture.SigningKeyA);
        var signature = ManifestSignature.Sign(bytes, key);

        Assert.Null(ManifestSignature.Verify(bytes, signature + "\n", key));
        Assert.NotNull(ManifestSignature.Verify(Encoding.UTF8.GetBytes("{\"a\":2}"), signature, key));
        Assert.NotNull(ManifestSignature.Verify(bytes, null, key));
        Assert.Throws<InvalidDataException>(() => SnapshotSigningKey.Load(null, "short"));
        Assert.Null(SnapshotSigningKey.Load(null, null));
    }

    private static ResumeConfig Config() => new("w", new Dictionary<string, string?>());

    private string Copy(string name, bool withSignature, bool copyImages = false) =>
        fixture.CopyOf("sig-" + name, copyImages, withSignature);
}
