using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.Engine.Execution;

/// <summary>
/// Runs a node inside a TorchSharp dispose scope and no_grad. Both are bound to the thread that
/// opens them, so both are closed on that thread before the node's first await returns: left open,
/// the scope would collect tensors of whatever that thread ran next and free them when the node
/// finished on another thread, and no_grad would stay on there. Tensors the node made before it
/// awaited live until it completes and are then freed unless returned (one that must outlive the
/// run, like a model's weights, is detached before the await, as every loader does); after an
/// await a node opens its own scope and no_grad (as LoadImage and ImageUpscaleWithModel do).
/// </summary>
internal static class NodeScope
{
    /// <summary>
    /// Starts <paramref name="execute"/> and hands its result to <paramref name="keep"/> (which takes
    /// the outputs out of any scope) before what the node made is freed.
    /// </summary>
    public static async ValueTask<NodeResult> RunAsync(Func<ValueTask<NodeResult>> execute, Func<NodeResult, NodeResult> keep)
    {
        ValueTask<NodeResult> pending;
        IReadOnlyList<IDisposable> madeBeforeAwait;
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            pending = execute();
            if (pending.IsCompleted)
            {
                return keep(pending.GetAwaiter().GetResult());
            }

            madeBeforeAwait = scope.DisposablesView;
            scope.Detach(madeBeforeAwait);
        }

        var outputs = new HashSet<object>(ReferenceEqualityComparer.Instance);
        try
        {
            var result = keep(await pending.ConfigureAwait(false));
            outputs.UnionWith(result.Values.SelectMany(TensorOwnership.TensorsOf));
            return result;
        }
        finally
        {
            foreach (var item in madeBeforeAwait.Where(d => !outputs.Contains(d)))
            {
                item.Dispose();
            }
        }
    }
}
