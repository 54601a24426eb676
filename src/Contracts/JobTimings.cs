namespace ComfySnap.Contracts;

/// <summary>Where a job's time went (also published on its own as an event).</summary>
/// <param name="JobId">The job.</param>
/// <param name="QueueWaitMs">From publish to the worker taking it.</param>
/// <param name="CacheLookupMs">Output cache lookup.</param>
/// <param name="Nodes">Per-node execution.</param>
/// <param name="ModelLoadMs">Model loading during the job.</param>
/// <param name="ExecuteMs">Engine run, all nodes.</param>
/// <param name="OutputStoreMs">Storing outputs and results.</param>
/// <param name="TotalMs">From the worker taking the job to the result.</param>
/// <param name="WorkerId">The worker that ran the job.</param>
/// <param name="ModelSetKey">The job's model-set key (<see cref="ModelSet"/>), null when it names no model.</param>
/// <param name="Models">Whether its models were warm, loaded, or being loaded (waited) on that worker.</param>
/// <param name="Route">How the job reached that worker: its model queue, the shared queue, spilled, handed back or forwarded.</param>
/// <param name="SwitchFallback">
/// For a job that loaded its models (<see cref="ModelWarmth.Loaded"/>) on a worker configured to switch
/// model sets by restoring a snapshot (Snapshot:ModelSets): why it loaded them instead; null otherwise.
/// </param>
public sealed record JobTimings(
    string JobId,
    double QueueWaitMs,
    double CacheLookupMs,
    IReadOnlyList<NodeTiming> Nodes,
    double ModelLoadMs,
    double ExecuteMs,
    double OutputStoreMs,
    double TotalMs,
    string? WorkerId = null,
    string? ModelSetKey = null,
    ModelWarmth Models = ModelWarmth.NoModels,
    JobRoute Route = JobRoute.Shared,
    string? SwitchFallback = null);

/// <summary>How long one node took.</summary>
/// <param name="NodeId">Node id.</param>
/// <param name="ClassType">Node class_type.</param>
/// <param name="Ms">Milliseconds.</param>
/// <param name="CacheHit">True when the node's outputs came from the worker's node cache.</param>
public sealed record NodeTiming(string NodeId, string ClassType, double Ms, bool CacheHit);
