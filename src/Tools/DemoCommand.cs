using System.Collections.Concurrent;
using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ComfySnap.Tools.Demo;
using Spectre.Console;

namespace ComfySnap.Tools;

/// <summary>One demo job's outcome; <paramref name="Run"/> counts the runs of its workflow from 1.</summary>
public sealed record DemoJob(string JobId, string Workflow, int Run, WorkflowCompleted? Completed, WorkflowFailed? Failed, double RoundTripMs);

/// <summary>
/// `demo`: an embedded worker (in-memory bus, in-process cache) in this process; publishes each
/// shipped workflow twice (the second is a cache hit), writes the images and prints timings.
/// </summary>
public static class DemoCommand
{
    public static async Task<int> RunAsync(DirectoryInfo output, int count, string? workflowsDirectory, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var (jobs, booted) = await RunJobsAsync(output, count, workflowsDirectory, cancellationToken);
        EmbeddedDemoReport.Write(console, jobs, booted);
        return jobs.All(j => j.Completed is not null) ? 0 : 1;
    }

    public static async Task<(IReadOnlyList<DemoJob> Jobs, WorkerBooted Booted)> RunJobsAsync(DirectoryInfo output, int count, string? workflowsDirectory, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), $"comfysnap-demo-{Guid.NewGuid():N}");
        try
        {
            var input = Directory.CreateDirectory(Path.Combine(root, "input")).FullName;
            var upscaleModels = Directory.CreateDirectory(Path.Combine(root, "models", "upscale_models")).FullName;
            DemoAssets.WriteExampleImage(Path.Combine(input, DemoAssets.ExampleImageName));
            DemoAssets.WriteTinyUpscaleModel(Path.Combine(upscaleModels, DemoAssets.UpscaleModelName));
            DemoAssets.WriteTinyCheckpoint(Path.Combine(root, "models", "checkpoints", DemoAssets.CheckpointName));
            DemoAssets.WriteControlNet(Path.Combine(root, "models", "controlnet", DemoAssets.ControlNetName), CheckpointPreset.Tiny);
            DemoAssets.WriteControlImage(Path.Combine(input, DemoAssets.ControlImageName));
            var builder = WorkerHostFactory.CreateBuilder(new Dictionary<string, string?>
            {
                ["Workspace:InputDirectory"] = input,
                ["Workspace:OutputDirectory"] = Path.Combine(root, "output"),
                ["Models:BaseDirectory"] = Path.Combine(root, "models"),
                ["NodePacks:Directory"] = Path.Combine(root, "node_packs"),
                ["Bus:Transport"] = "InMemory",
                ["Bus:WorkerId"] = "demo",
                ["Cache:Redis"] = "",
                ["Serilog:MinimumLevel:Default"] = "Warning",
            });
            builder.Services.AddQueueWorker(builder.Configuration);
            using var host = builder.Build();
            await host.StartAsync(cancellationToken);
            try
            {
                var booted = await host.Services.GetRequiredService<WorkerReadiness>().Booted.WaitAsync(cancellationToken);
                var jobs = await PublishAllAsync(host.Services, output, count, workflowsDirectory ?? Path.Combine(AppContext.BaseDirectory, "workflows"), cancellationToken);
                return (jobs, booted);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
        finally
        {
            TryDelete(root);
        }
    }

    private static async Task<IReadOnlyList<DemoJob>> PublishAllAsync(IServiceProvider services, DirectoryInfo output, int count, string workflowsDirectory, CancellationToken cancellationToken)
    {
        var bus = services.GetRequiredService<IBus>();
        var cache = services.GetRequiredService<IOutputCache>();
        var waiting = new ConcurrentDictionary<string, TaskCompletionSource<object>>(StringComparer.Ordinal);
        var handle = bus.ConnectReceiveEndpoint("comfysnap-demo-results", e =>
        {
            e.Handler<WorkflowCompleted>(c => Resolve(waiting, c.Message.JobId, c.Message));
            e.Handler<WorkflowFailed>(c => Resolve(waiting, c.Message.JobId, c.Message));
        });
        await handle.Ready.WaitAsync(cancellationToken);
        Directory.CreateDirectory(output.FullName);
        var jobs = new List<DemoJob>();
        try
        {
            foreach (var file in Directory.EnumerateFiles(workflowsDirectory, "*.json").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                var workflow = await File.ReadAllTextAsync(file, cancellationToken);
                for (var run = 1; run <= count; run++)
                {
                    var jobId = $"demo-{Path.GetFileNameWithoutExtension(name)}-{run}-{Guid.NewGuid():N}"[..40];
                    var done = waiting.GetOrAdd(jobId, _ => new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously));
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    await bus.Publish(new RunWorkflow(jobId, workflow), cancellationToken);
                    var answer = await done.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
                    var completed = answer as WorkflowCompleted;
                    jobs.Add(new DemoJob(jobId, name, run, completed, answer as WorkflowFailed, watch.Elapsed.TotalMilliseconds));
                    if (completed is not null)
                    {
                        await WriteOutputsAsync(completed, cache, output.FullName, run, cancellationToken);
                    }
                }
            }
        }
        finally
        {
            await handle.StopAsync(cancellationToken);
        }

        return jobs;
    }

    private static Task Resolve(ConcurrentDictionary<string, TaskCompletionSource<object>> waiting, string jobId, object answer)
    {
        if (waiting.TryGetValue(jobId, out var tcs))
        {
            tcs.TrySetResult(answer);
        }

        return Task.CompletedTask;
    }

    private static async Task WriteOutputsAsync(WorkflowCompleted completed, IOutputCache cache, string directory, int run, CancellationToken cancellationToken)
    {
        foreach (var o in completed.Outputs)
        {
            var bytes = o.InlineBytes ?? (o.RedisKey is { } key ? await cache.GetAsync(key, cancellationToken) : null);
            if (bytes is not null)
            {
                var name = $"{Path.GetFileNameWithoutExtension(o.FileName)}run{run}{Path.GetExtension(o.FileName)}";
                await File.WriteAllBytesAsync(Path.Combine(directory, name), bytes, cancellationToken);
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // temp files left behind
        }
    }
}
