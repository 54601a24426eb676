using System.Diagnostics;
using System.Security.Cryptography;
using ComfySnap.Tests.Diffusion.Support;
using Microsoft.AspNetCore.Http;

namespace ComfySnap.Tests.ModelUrls;

/// <summary>
/// A txt2img workflow whose checkpoint is a pinned URL of the tiny generated checkpoint, served on
/// loopback, run by worker processes (`run-workflow`) that share one download cache.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModelUrlWorkflowTests(TinyCheckpointFixture checkpoint) : IClassFixture<TinyCheckpointFixture>
{
    /// <summary>A one-step 64x64 render of <paramref name="checkpointName"/> (a pinned URL in these tests).</summary>
    internal static string Workflow(string checkpointName) => $$$"""
        {"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"{{{checkpointName}}}"}},
         "6":{"class_type":"CLIPTextEncode","inputs":{"clip":["4",1],"text":"a red cat"}},
         "7":{"class_type":"CLIPTextEncode","inputs":{"clip":["4",1],"text":""}},
         "5":{"class_type":"EmptyLatentImage","inputs":{"width":64,"height":64,"batch_size":1}},
         "3":{"class_type":"KSampler","inputs":{"model":["4",0],"seed":3,"steps":1,"cfg":5.0,"sampler_name":"euler","scheduler":"normal","positive":["6",0],"negative":["7",0],"latent_image":["5",0],"denoise":1.0}},
         "8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},
         "9":{"class_type":"SaveImage","inputs":{"images":["8",0],"filename_prefix":"url"}} }
        """;

    [Fact]
    public async Task Two_workers_run_a_workflow_whose_checkpoint_is_a_url_and_download_it_once()
    {
        var bytes = await File.ReadAllBytesAsync(checkpoint.Path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await using var server = await LoopbackHttpServer.StartAsync(async (context, _) =>
        {
            await Task.Delay(1000); // both workers ask while the first download runs
            await context.Response.Body.WriteAsync(bytes);
        });
        var root = TestEnvironment.NewTempDirectory("model-url-run");
        var cache = Path.Combine(root, "cache");
        var file = Path.Combine(root, "workflow.json");
        await File.WriteAllTextAsync(file, Workflow($"{server.BaseUrl}/tiny.safetensors#sha256={sha}"));

        var runs = await Task.WhenAll(RunAsync(root, file, cache, "a"), RunAsync(root, file, cache, "b"));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Output));
        Assert.Single(server.Requests);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(cache, $"{sha}.safetensors")));
        Assert.All(new[] { "a", "b" }, run => Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(root, run), "url*.png")));
    }

    [Fact]
    public async Task A_wrong_sha256_fails_the_run_with_the_reason_and_keeps_no_file()
    {
        var bytes = await File.ReadAllBytesAsync(checkpoint.Path);
        await using var server = await LoopbackHttpServer.StartAsync(async (context, _) => await context.Response.Body.WriteAsync(bytes));
        var root = TestEnvironment.NewTempDirectory("model-url-run");
        var cache = Path.Combine(root, "cache");
        var file = Path.Combine(root, "workflow.json");
        var pinned = new string('a', 64);
        await File.WriteAllTextAsync(file, Workflow($"{server.BaseUrl}/tiny.safetensors#sha256={pinned}"));

        var run = await RunAsync(root, file, cache, "out");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains($"not the pinned {pinned}", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFiles(cache), f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".part", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unpinned_url_is_refused_without_a_download()
    {
        await using var server = await LoopbackHttpServer.StartAsync((context, _) => Task.CompletedTask);
        var root = TestEnvironment.NewTempDirectory("model-url-run");
        var file = Path.Combine(root, "workflow.json");
        await File.WriteAllTextAsync(file, Workflow($"{server.BaseUrl}/tiny.safetensors"));

        var run = await RunAsync(root, file, Path.Combine(root, "cache"), "out");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("invalid_model_url", run.Output, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string root, string workflow, string cache, string output)
    {
        var info = new ProcessStartInfo(TestEnvironment.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in new[] { TestEnvironment.ProjectDll("src/Worker", "ComfySnap.Worker"), "run-workflow", workflow, "--out", Path.Combine(root, output), "--models-dir", Path.Combine(root, "models") })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["COMFYSNAP_Models__Download__CacheDirectory"] = cache;
        info.Environment["COMFYSNAP_Models__Download__AllowPrivateNetworks"] = "true"; // the server is on loopback
        info.Environment["COMFYSNAP_Serilog__MinimumLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout + await stderr);
    }
}
