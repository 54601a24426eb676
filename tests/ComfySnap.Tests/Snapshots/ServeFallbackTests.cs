using ComfySnap.Contracts;
using ComfySnap.Tests.Worker.Support;
using ComfySnap.Worker.Cli;

namespace ComfySnap.Tests.Snapshots;

/// <summary>`serve` with a snapshot it cannot use cold-boots, says why in WorkerBooted, and still serves jobs.</summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ServeFallbackTests(SnapshotFixture fixture)
{
    [Theory]
    [InlineData("missing", "SnapshotMissing")]
    [InlineData("tampered", "ImageCorrupt")]
    [InlineData("no-criu", "RestoreFailed")] // found by the chaos run: serve crashed instead of cold-booting
    public async Task Unusable_snapshot_gives_a_cold_boot_with_the_reason_and_the_job_is_served(string snapshot, string expectedKind)
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        var directory = snapshot switch
        {
            "missing" => Path.Combine(fixture.Root, "no-snapshot-here"),
            "no-criu" => fixture.SnapshotDirectory,
            _ => TamperedCopy(),
        };
        var settings = new Dictionary<string, string?>(bus.Settings)
        {
            ["Snapshot:Directory"] = directory,
            ["Snapshot:WorkDirectory"] = Path.Combine(fixture.Root, "serve-work"),
            ["Snapshot:WorkerDirectory"] = Path.GetDirectoryName(SnapshotFixture.WorkerDll),
        };
        if (snapshot == "no-criu")
        {
            settings["Criu:Path"] = Path.Combine(fixture.Root, "no-criu-here");
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var serve = Task.Run(() => ServeCommand.RunAsync(settings, stop.Token));
        try
        {
            // WorkerBooted is published to every listener: take this worker's, not a parallel test's.
            var (booted, _) = await bus.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == settings["Bus:WorkerId"], TimeSpan.FromSeconds(60));
            Assert.Equal(BootMode.ColdBoot, booted.Mode);
            Assert.Equal(expectedKind, booted.FallbackReason?.Kind);
            Assert.Contains(booted.Phases, p => p.Name == "torch load");

            await bus.SendAsync(new RunWorkflow($"after-fallback-{snapshot}", CanaryJob, CachePolicy: CachePolicy.Bypass));
            var (done, _) = await bus.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == $"after-fallback-{snapshot}", TimeSpan.FromSeconds(60));
            Assert.Single(done.Outputs);
        }
        finally
        {
            await stop.CancelAsync();
            await serve;
        }
    }

    private const string CanaryJob = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":32,"height":32,"batch_size":1,"color":255}},
         "2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}
        """;

    // A snapshot whose smallest image file was altered after the build.
    private string TamperedCopy()
    {
        var copy = Path.Combine(fixture.Root, "tampered-" + Guid.NewGuid().ToString("N")[..6]);
        var images = Path.Combine(copy, "images");
        Directory.CreateDirectory(images);
        foreach (var f in Directory.GetFiles(Path.Combine(fixture.SnapshotDirectory, "images")))
        {
            if (new FileInfo(f).Length < 1 << 20)
            {
                File.Copy(f, Path.Combine(images, Path.GetFileName(f)));
            }
            else
            {
                File.CreateSymbolicLink(Path.Combine(images, Path.GetFileName(f)), f);
            }
        }

        File.Copy(Path.Combine(fixture.SnapshotDirectory, "manifest.json"), Path.Combine(copy, "manifest.json"));
        var victim = Directory.GetFiles(images, "core-*.img").First();
        var bytes = File.ReadAllBytes(victim);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(victim, bytes);
        return copy;
    }
}
