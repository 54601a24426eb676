using System.CommandLine;
using System.Text.Json;
using ComfySnap.Bench;
using Spectre.Console;

// `./comfysnap bench [suite]`: whole-process and engine benchmarks; prints a table and writes
// bench/results/SUITE.json. Ratios are always measured side by side in the same run.
var suite = new Argument<string>("suite") { Description = "boot | engine | all", DefaultValueFactory = _ => "all" };
var runs = new Option<int>("--runs") { Description = "Measured runs per mode", DefaultValueFactory = _ => 5 };
var modelMiB = new Option<int>("--model-mib") { Description = "Preloaded model size for the boot suite", DefaultValueFactory = _ => 1024 };
var root = new RootCommand("ComfySnap benchmarks") { suite, runs, modelMiB };
root.SetAction(async (parse, ct) =>
{
    var context = BenchContext.FromEnvironment();
    var machine = await MachineInfo.ReadAsync(context.Criu, ct);
    var results = Path.Combine(context.RepoRoot, "bench", "results");
    var name = parse.GetValue(suite)!;
    var selected = name == "all" ? ["engine", "boot"] : new[] { name };
    foreach (var s in selected)
    {
        AnsiConsole.MarkupLine($"[bold]suite {s}[/]");
        Dictionary<string, object?> values = s switch
        {
            "boot" => await new BootSuite(context, parse.GetValue(runs), parse.GetValue(modelMiB)).RunAsync(ct),
            "engine" => await new EngineSuite(context, parse.GetValue(runs)).RunAsync(ct),
            _ => throw new ArgumentException($"unknown suite '{s}' (boot, engine, all; overhead, cache and batch come with the queue worker)"),
        };
        var table = new Table().AddColumns("key", "value");
        foreach (var (key, value) in values)
        {
            table.AddRow(key, Markup.Escape(JsonSerializer.Serialize(value)));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"written: {await ResultWriter.WriteAsync(results, s, values, machine, ct)}");
    }

    return 0;
});
return await root.Parse(args).InvokeAsync();
