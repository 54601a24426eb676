using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ComfySnap.Bench.Micro;

namespace ComfySnap.Bench;

/// <summary>
/// `micro`: BenchmarkDotNet over the per-job CPU steps (<see cref="JobPathBenchmarks"/>), in this
/// process (the in-process toolchain: no second build with the runtime-prefix SDK).
/// </summary>
public sealed class MicroSuite(BenchContext context)
{
    public Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .WithArtifactsPath(Path.Combine(context.WorkDirectory, "micro-artifacts"));
        var summary = BenchmarkRunner.Run<JobPathBenchmarks>(config);
        ct.ThrowIfCancellationRequested();

        var result = new Dictionary<string, object?>();
        foreach (var report in summary.Reports)
        {
            var name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            var stats = report.ResultStatistics
                ?? throw new InvalidOperationException($"benchmark {name} produced no result: {string.Join("; ", summary.ValidationErrors.Select(e => e.Message))}");
            result[ToKey(name) + "_ns"] = new Stats(stats.N, stats.Median, stats.Percentiles.P90, stats.Percentiles.Percentile(99), stats.Min, stats.Max);
            result[ToKey(name) + "_allocated_bytes"] = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
        }

        return Task.FromResult(result);
    }

    // ParseAndValidate -> parse_and_validate
    private static string ToKey(string method) =>
        string.Concat(method.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
