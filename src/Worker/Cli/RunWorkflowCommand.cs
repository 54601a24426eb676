using ComfySnap.Worker.Boot;
using ComfySnap.Engine;
using ComfySnap.Engine.Validation;
using ComfySnap.Worker.Hosting;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace ComfySnap.Worker.Cli;

/// <summary>`run-workflow FILE --out DIR`: boots the engine, runs one workflow without any bus, prints timings.</summary>
public static class RunWorkflowCommand
{
    public static async Task<int> RunAsync(FileInfo file, DirectoryInfo output, int repeat, IDictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            await Console.Error.WriteLineAsync($"error: workflow file not found: {file.FullName}");
            return 2;
        }

        overrides["Workspace:OutputDirectory"] = output.FullName;
        using var host = WorkerHostFactory.CreateBuilder(overrides, logToStandardError: true, processIsWorker: true).Build();
        var services = host.Services;
        var timer = new PhaseTimer(services.GetRequiredService<ILoggerFactory>().CreateLogger("Boot"));
        await services.GetRequiredService<ColdBoot>().RunAsync(timer, cancellationToken);

        var engine = services.GetRequiredService<WorkflowEngine>();
        var workflowJson = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        IDisposable heldModels;
        try
        {
            // Models named by pinned URL are downloaded first (input images by URL are not: a worker's job).
            heldModels = await services.GetRequiredService<ModelUrlFetcher>().FetchAsync(workflowJson, cancellationToken);
        }
        catch (InputFileException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 3;
        }

        using var held = heldModels;

        var report = engine.Validate(workflowJson, out var workflow);
        if (workflow is null)
        {
            await Console.Error.WriteLineAsync($"error: {file.Name} is not a valid workflow");
            Console.WriteLine(ComfyErrorJson.Serialize(report));
            return 3;
        }

        var console = AnsiConsole.Console;
        TimingTable.WritePhases(console, "boot", timer.Phases);
        long? rssAfterWarmUp = null;
        for (var run = 1; run <= repeat; run++)
        {
            var result = await engine.RunAsync(workflow, null, cancellationToken);
            if (run == Math.Min(100, repeat))
            {
                rssAfterWarmUp = Environment.WorkingSet;
            }

            // With many repeats only the last run's table is printed.
            if (repeat <= 10 || run == repeat)
            {
                TimingTable.WriteNodes(console, $"{file.Name} run {run}", result);
                foreach (var o in result.Outputs)
                {
                    console.MarkupLineInterpolated($"node {o.NodeId}: {o.Artifact.Path} ({o.Artifact.Bytes.Length} bytes)");
                }
            }
        }

        if (repeat > 10)
        {
            // Native memory check: RSS after a warm-up of 100 runs and after the last one.
            Console.WriteLine($"rss_mib warm-up={rssAfterWarmUp / 1048576.0:0.0} last={Environment.WorkingSet / 1048576.0:0.0} runs={repeat}");
        }

        return 0;
    }
}
