using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ComfySnap.Contracts;
using ComfySnap.Worker.Caching;
using ComfySnap.Engine;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Validation;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Bench.Micro;

/// <summary>
/// The CPU-side steps every job takes before and after its nodes run: parse + validate, cache key,
/// executor cost per node, result serialization. Run by BenchmarkDotNet in this process.
/// </summary>
[MemoryDiagnoser]
public class JobPathBenchmarks
{
    public const int ChainLength = 100;

    private EngineHost? _host;
    private WorkflowEngine? _engine;
    private WorkflowCacheKey? _cacheKey;
    private string _imageOpsJson = "";
    private ValidatedWorkflow? _imageOps;
    private ValidatedWorkflow? _chain;
    private WorkflowCompleted? _completed;

    [GlobalSetup]
    public void Setup()
    {
        var context = BenchContext.FromEnvironment();
        _host = EngineHost.StartAsync(Path.Combine(context.WorkDirectory, "micro"), CancellationToken.None).GetAwaiter().GetResult();
        _engine = _host.Engine;
        _cacheKey = ActivatorUtilities.CreateInstance<WorkflowCacheKey>(_host.Services);
        _imageOpsJson = File.ReadAllText(Path.Combine(context.RepoRoot, "workflows", "image-ops.json"));
        _engine.Validate(_imageOpsJson, out _imageOps);
        _engine.Validate(EngineHost.Chain(ChainLength), out _chain);
        if (_imageOps is null || _chain is null)
        {
            throw new InvalidOperationException("benchmark workflows did not validate");
        }

        var nodes = _imageOps.ExecutionOrder.Select(id => new Contracts.NodeTiming(id, _imageOps.Workflow.Nodes[id].ClassType, 1.5, false)).ToList();
        _completed = new WorkflowCompleted("job-1", "batch-1", [new OutputFile("9", "out_00001_.png", "image/png", 4096, new string('a', 64), new byte[4096], null, null)],
            false, new JobTimings("job-1", 3.2, 0.6, nodes, 0, 42.0, 1.1, 48.0));
    }

    [GlobalCleanup]
    public void Cleanup() => _host?.Dispose();

    [Benchmark(Description = "parse + validate image-ops.json")]
    public ValidationReport ParseAndValidate() => _engine!.Validate(_imageOpsJson, out _);

    [Benchmark(Description = "cache key of image-ops.json")]
    public string CacheKey() => _cacheKey!.Compute(_imageOps!);

    [Benchmark(Description = "executor, per node (1x1 ImageInvert chain)", OperationsPerInvoke = ChainLength + 2)]
    public Task<ExecutionResult> ExecutePerNode() => _engine!.RunAsync(_chain!, null, CancellationToken.None);

    [Benchmark(Description = "serialize WorkflowCompleted (4 KiB inline)")]
    public byte[] SerializeCompleted() => JsonSerializer.SerializeToUtf8Bytes(_completed!);
}
