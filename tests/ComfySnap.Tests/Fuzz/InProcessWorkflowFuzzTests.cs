using System.Diagnostics;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Validation;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Fuzz;

/// <summary>Runs alone, so that the process's memory is this test's to measure.</summary>
[CollectionDefinition(nameof(FuzzCollection), DisableParallelization = true)]
public sealed class FuzzCollection;

/// <summary>
/// Issue 12: 10,000 mutated workflows through validation and execution in process. Every one ends
/// in success or a specific named failure (a validation error type, or a node failure the engine
/// throws on purpose); none crashes or hangs, and managed and native memory stay bounded.
/// Replay a failing run with COMFYSNAP_FUZZ_SEED=&lt;the printed seed&gt;.
/// </summary>
[Collection(nameof(FuzzCollection))]
public sealed class InProcessWorkflowFuzzTests(ITestOutputHelper output)
{
    private const int Count = 10_000;
    private static readonly TimeSpan PerJobTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Ten_thousand_mutated_workflows_end_in_success_or_a_named_failure_without_crash_hang_or_growth()
    {
        await using var harness = await EngineHarness.StartAsync(FuzzFiles.WriteTo, new Dictionary<string, string?>(FuzzRun.SmallLimits));
        var run = FuzzRun.Create(harness.Services);
        output.WriteLine($"fuzz seed {run.Seed} (replay: COMFYSNAP_FUZZ_SEED={run.Seed})");

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var findings = new List<string>();
        var clock = Stopwatch.StartNew();
        var slowest = (Ms: 0.0, Index: -1);
        MemoryReading? baseline = null;
        var peak = new MemoryReading(0, 0);
        for (var i = 0; i < Count; i++)
        {
            var json = run.Workflow(i);
            var one = Stopwatch.StartNew();
            var outcome = await RunOneAsync(harness, json);
            if (one.Elapsed.TotalMilliseconds > slowest.Ms)
            {
                slowest = (one.Elapsed.TotalMilliseconds, i);
            }

            counts[outcome.Key] = counts.GetValueOrDefault(outcome.Key) + 1;
            if (outcome.IsFinding && findings.Count < 20)
            {
                findings.Add($"#{i} {outcome.Key}: {FuzzOutcome.Shorten(json)}\n{outcome.Detail}");
            }

            if (i % 500 == 499)
            {
                EmptyOutputs(harness.OutputDirectory);
                var reading = MemoryReading.Now();
                baseline ??= reading;
                peak = new(Math.Max(peak.ManagedMiB, reading.ManagedMiB), Math.Max(peak.RssMiB, reading.RssMiB));
            }
        }

        foreach (var (key, n) in counts.OrderByDescending(c => c.Value))
        {
            output.WriteLine($"{n,6}  {key}");
        }

        output.WriteLine($"{Count} workflows in {clock.Elapsed.TotalSeconds:0.0} s; slowest #{slowest.Index} {slowest.Ms:0} ms; " +
            $"memory after 500: managed {baseline!.ManagedMiB:0} MiB, rss {baseline.RssMiB:0} MiB; peak managed {peak.ManagedMiB:0} MiB, rss {peak.RssMiB:0} MiB");
        Assert.True(findings.Count == 0, $"seed {run.Seed}: {findings.Count} finding(s)\n" + string.Join("\n\n", findings));

        // The generator must reach execution, not only validation errors.
        Assert.True(counts.GetValueOrDefault("success:completed") >= Count / 20, $"only {counts.GetValueOrDefault("success:completed")} mutants ran to completion");
        Assert.True(counts.Keys.Count(k => k.StartsWith("invalid:", StringComparison.Ordinal)) >= 10, "too few distinct validation errors: " + string.Join(", ", counts.Keys));

        // Bounded: the node cache is capped at 8 MiB; anything leaked per run would grow these over 9,500 runs.
        Assert.True(peak.ManagedMiB - baseline.ManagedMiB < 64, $"managed heap grew from {baseline.ManagedMiB:0} to {peak.ManagedMiB:0} MiB");
        Assert.True(peak.RssMiB - baseline.RssMiB < 256, $"RSS grew from {baseline.RssMiB:0} to {peak.RssMiB:0} MiB");
    }

    /// <summary>Validation then (when valid) execution, each under the per-job timeout.</summary>
    internal static async Task<FuzzOutcome> RunOneAsync(EngineHarness harness, string json)
    {
        ValidationReport report;
        ValidatedWorkflow? workflow;
        try
        {
            (report, workflow) = await Task.Run(() => (harness.Engine.Validate(json, out var w), w)).WaitAsync(PerJobTimeout);
        }
        catch (TimeoutException)
        {
            return FuzzOutcome.Hang("validation");
        }
        catch (Exception e)
        {
            return new FuzzOutcome("crash", "validation threw " + e.GetType().Name, e.ToString());
        }

        if (workflow is null)
        {
            var type = report.NodeErrors.Values.SelectMany(n => n.Errors).Select(e => e.Type).FirstOrDefault() ?? report.Error?.Type;
            return string.IsNullOrEmpty(type) || string.IsNullOrEmpty(report.Describe())
                ? new FuzzOutcome("crash", "invalid without a reason", report.Describe())
                : FuzzOutcome.Invalid(type);
        }

        using var timeout = new CancellationTokenSource(PerJobTimeout);
        try
        {
            await harness.Engine.RunAsync(workflow, null, timeout.Token);
            return FuzzOutcome.Success;
        }
        catch (WorkflowCancelledException)
        {
            return FuzzOutcome.Hang($"execution over {PerJobTimeout.TotalSeconds:0} s");
        }
        catch (Exception e)
        {
            return FuzzOutcome.FromException(e);
        }
    }

    private static void EmptyOutputs(string folder)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo d)
            {
                d.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }
    }

    private sealed record MemoryReading(double ManagedMiB, double RssMiB)
    {
        public static MemoryReading Now()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var self = Process.GetCurrentProcess();
            return new(GC.GetTotalMemory(forceFullCollection: true) / 1048576.0, self.WorkingSet64 / 1048576.0);
        }
    }
}
