using ComfySnap.Engine;
using System.Diagnostics;
using ComfySnap.NodeSdk;
using ComfySnap.Engine.Graph;
using ComfySnap.Engine.Nodes;
using ComfySnap.Engine.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace ComfySnap.Engine.Execution;

/// <summary>
/// Runs a validated workflow: only the nodes the outputs need, in dependency order, each inside
/// its own TorchSharp dispose scope so native memory does not grow from run to run. Node outputs
/// are reused from <see cref="NodeOutputCache"/> when a node's signature is unchanged.
/// One workflow at a time (one job per device).
/// </summary>
public sealed class WorkflowExecutor(
    NodeOutputCache cache,
    NodeRegistry registry,
    IModelStore models,
    IWorkspace workspace,
    IDeviceService device,
    IOptions<EngineOptions> options,
    ILogger<WorkflowExecutor> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<ExecutionResult> RunAsync(ValidatedWorkflow workflow, Action<ExecutionProgress>? progress, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunExclusiveAsync(workflow, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> while no workflow runs, with the node output cache (e.g. to
    /// unload models: cached node outputs may hold them, so the cache is cleared with them).
    /// </summary>
    public async Task WhenIdleAsync(Action<NodeOutputCache> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            action(cache);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ExecutionResult> RunExclusiveAsync(ValidatedWorkflow workflow, Action<ExecutionProgress>? progress, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var values = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
        var signatures = new Dictionary<string, string>(StringComparer.Ordinal);
        var runOwned = new List<object?>(); // outputs not handed to the cache: freed after the run
        var timings = new List<NodeTiming>();
        var outputs = new List<WorkflowOutput>();
        var completed = new List<string>();
        var order = workflow.ExecutionOrder;
        try
        {
            for (var index = 0; index < order.Count; index++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    throw new WorkflowCancelledException(completed, cancellationToken);
                }

                var id = order[index];
                var node = workflow.Workflow.Nodes[id];
                var definition = registry.TryGet(node.ClassType, out var code)
                    ? code
                    : throw new InvalidOperationException($"node {id}: no code for {node.ClassType} in this worker (validated against another catalog?)");
                var literals = workflow.Literals[id];
                var signature = NodeSignature.Compute(node, literals, signatures, definition.IsIdempotent);
                signatures[id] = signature;
                var watch = Stopwatch.StartNew();
                using var span = EngineActivities.Source.StartActivity(EngineActivities.Node);
                if (span is not null)
                {
                    span.DisplayName = $"node {id} {node.ClassType}";
                }

                span?.SetTag("comfysnap.node.id", id);
                span?.SetTag("comfysnap.node.class_type", node.ClassType);
                IReadOnlyList<object?> cached = [];
                var hit = cache.Enabled && cache.TryGet(signature, out cached);
                span?.SetTag("comfysnap.node.cache_hit", hit);
                if (hit)
                {
                    values[id] = cached;
                }
                else
                {
                    var nodeIndex = index;
                    void Report(int step, int of) => progress?.Invoke(new ExecutionProgress(id, node.ClassType, nodeIndex, order.Count, step, of));
                    Report(0, 1);
                    var result = await ExecuteNodeAsync(node, definition, literals, values, Report, completed, cancellationToken).ConfigureAwait(false);
                    if (NonFiniteOutputs.Find(definition.Outputs, result.Values) is { } nonFinite)
                    {
                        // Freed with the run, never cached; downstream nodes (savers) never see it,
                        // and what the node itself wrote is removed.
                        runOwned.AddRange(result.Values);
                        foreach (var artifact in result.Artifacts.Where(a => a.Path is not null))
                        {
                            File.Delete(artifact.Path!);
                        }

                        logger.LogWarning("Node {NodeId} ({ClassType}) output {OutputIndex} ({OutputType}) holds {NonFiniteCount} NaN or Inf value(s): the run fails",
                            id, node.ClassType, nonFinite.OutputIndex, nonFinite.OutputType, nonFinite.NonFinite);
                        throw new NodeExecutionException(id, node.ClassType, completed, nonFinite);
                    }

                    values[id] = result.Values;
                    if (cache.Enabled && definition.IsIdempotent && result.Artifacts.Count == 0)
                    {
                        cache.Add(signature, result.Values);
                    }
                    else
                    {
                        runOwned.AddRange(result.Values);
                    }

                    outputs.AddRange(result.Artifacts.Select(a => new WorkflowOutput(id, a)));
                    Report(1, 1);
                }

                timings.Add(new NodeTiming(id, node.ClassType, watch.Elapsed.TotalMilliseconds, hit));
                completed.Add(id);
            }

            return new ExecutionResult(outputs, timings, total.Elapsed.TotalMilliseconds);
        }
        finally
        {
            foreach (var value in runOwned)
            {
                TensorOwnership.Dispose(value);
            }

            cache.Trim();
        }
    }

    private async Task<NodeResult> ExecuteNodeAsync(
        WorkflowNode node,
        ComfyNode definition,
        IReadOnlyDictionary<string, object?> literals,
        Dictionary<string, IReadOnlyList<object?>> values,
        Action<int, int> report,
        List<string> completed,
        CancellationToken cancellationToken)
    {
        var inputs = new Dictionary<string, object?>(literals, StringComparer.Ordinal);
        foreach (var (name, input) in node.Inputs)
        {
            if (input is WorkflowInput.Link link && definition.Inputs.Any(s => s.Name == name))
            {
                inputs[name] = values[link.NodeId][link.OutputIndex];
            }
        }

        var context = new NodeContext(node.Id, models, workspace, device, report, logger) { Limits = options.Value.Limits };
        // Outputs outlive the node's scope. A node that passes an input through unchanged gets
        // an alias, so that the cache and the run never free the same tensor twice.
        var inputTensors = inputs.Values.SelectMany(TensorOwnership.TensorsOf).Select(t => t.Handle).ToHashSet();
        try
        {
            return await NodeScope.RunAsync(
                () => definition.ExecuteAsync(new NodeInputs(inputs), context, cancellationToken),
                result => result with { Values = [.. result.Values.Select(v => Keep(v, inputTensors))] }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new WorkflowCancelledException(completed, cancellationToken);
        }
        catch (Exception e) when (e is not WorkflowCancelledException)
        {
            throw new NodeExecutionException(node.Id, node.ClassType, completed, e);
        }
    }

    private static object? Keep(object? value, HashSet<IntPtr> inputTensors) => value switch
    {
        torch.Tensor t => Own(t, inputTensors),
        ITensorHolder holder => holder.MapTensors(t => Own(t, inputTensors)),
        _ => value,
    };

    private static torch.Tensor Own(torch.Tensor tensor, HashSet<IntPtr> inputTensors) =>
        (inputTensors.Contains(tensor.Handle) ? tensor.alias() : tensor).DetachFromDisposeScope();

    public void Dispose() => _gate.Dispose();
}
