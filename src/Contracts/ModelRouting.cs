namespace ComfySnap.Contracts;

/// <summary>Whether a job found its models already loaded on the worker that ran it.</summary>
public enum ModelWarmth
{
    /// <summary>The workflow names no model file.</summary>
    NoModels = 0,

    /// <summary>Every model was loaded on this worker before the job started.</summary>
    Warm = 1,

    /// <summary>The job loaded at least one model (see ModelLoadMs).</summary>
    Loaded = 2,

    /// <summary>Not every model was loaded when the job arrived, but another job on this worker finished loading it meanwhile: the job waited for that load.</summary>
    Waited = 3,
}

/// <summary>How a job reached the worker that ran it (the fleet's model-aware routing).</summary>
public enum JobRoute
{
    /// <summary>From the shared queue: routing was off, no worker held its model set when it was published, or its publisher sent no model set.</summary>
    Shared = 0,

    /// <summary>From its model set's queue: routed to a worker that holds the models.</summary>
    ModelQueue = 1,

    /// <summary>Waited in its model set's queue longer than Routing:ModelQueueWait and was moved to the shared queue (dead-lettered).</summary>
    Spilled = 2,

    /// <summary>Handed back to the shared queue by a worker that could not load one of its models.</summary>
    HandedBack = 3,

    /// <summary>Forwarded to its model set's queue by a worker that received it without a model set.</summary>
    Forwarded = 4,
}
