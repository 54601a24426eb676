using ComfySnap.Contracts;
using ComfySnap.Tools;
using ComfySnap.Tools.Demo;
using Spectre.Console.Testing;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Worker;

/// <summary>The embedded demo's tables on an 80-column terminal: nothing wider, no identifier split across lines.</summary>
public sealed class DemoReportTests(ITestOutputHelper output)
{
    private static readonly string[] Workflows = ["default-txt2img.json", "image-ops.json", "upscale.json"];

    private static readonly BootPhaseTiming[] Phases =
    [
        new("device init", 1600.1, "cpu"), new("runtime start", 3230.5, null), new("torch load", 34.0, null),
        new("built-in nodes", 25.6, null), new("node pack ComfySnap.ExamplePack", 11.2, "3 nodes"), new("model checkpoints/v1-5-pruned-emaonly.safetensors", 2345.6, null),
        new("cache connect", 0.2, null), new("bus connect", 787.4, null),
    ];

    [Fact]
    public void Boot_and_job_tables_fit_80_columns_without_splitting_an_identifier()
    {
        var console = new TestConsole().Width(80);
        var jobs = Workflows.SelectMany(w => new[] { Job(w, 1, fromCache: false), Job(w, 2, fromCache: true) })
            .Append(Failed("image-ops.json", 3)).ToList();

        EmbeddedDemoReport.Write(console, jobs, new WorkerBooted("demo", BootMode.ColdBoot, null, null, Phases));

        output.WriteLine(console.Output);
        var lines = console.Lines;
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        foreach (var identifier in Workflows.Concat(Phases.Select(p => p.Name)))
        {
            Assert.Contains(lines, l => l.Contains(identifier, StringComparison.Ordinal));
        }

        // One line per row in both tables: a cell that wrapped would add a line.
        Assert.True(BodyLines(lines, 0) == Phases.Length, console.Output);
        Assert.True(BodyLines(lines, 1) == jobs.Count, console.Output);
    }

    // The lines between the header rule (├) and the bottom rule (└) of the n-th table.
    private static int BodyLines(IReadOnlyList<string> lines, int table)
    {
        var header = lines.Select((l, i) => (l, i)).Where(p => p.l.StartsWith('├')).ElementAt(table).i;
        var bottom = lines.Select((l, i) => (l, i)).First(p => p.i > header && p.l.StartsWith('└')).i;
        return bottom - header - 1;
    }

    private static DemoJob Job(string workflow, int run, bool fromCache)
    {
        var id = $"demo-{workflow}-{run}";
        var timings = new JobTimings(id, 12.3, 0.4, [], 0, fromCache ? 0 : 123456.7, 3.2, fromCache ? 20.1 : 123470.4);
        var output = new OutputFile("9", "ComfySnap_00001_.png", "image/png", 412_345, new string('a', 64), null, null, null);
        return new DemoJob(id, workflow, run, new WorkflowCompleted(id, null, [output], fromCache, timings), null, fromCache ? 35.7 : 123501.9);
    }

    private static DemoJob Failed(string workflow, int run) =>
        new($"demo-{workflow}-{run}", workflow, run, null,
            new WorkflowFailed($"demo-{workflow}-{run}", null, FailureKind.NodeError, "ImageScale: width must be positive (got 0) in node 4", new Dictionary<string, NodeError>(), [], false), 80.2);
}
