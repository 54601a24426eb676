namespace ComfySnap.Contracts;

/// <summary>Why a job failed.</summary>
public enum FailureKind
{
    /// <summary>The workflow is malformed or does not validate; see node errors.</summary>
    InvalidWorkflow = 0,

    /// <summary>A node threw while running.</summary>
    NodeError = 1,

    /// <summary>Only model files the worker does not have are missing.</summary>
    ModelNotFound = 2,

    /// <summary>A configured limit (nodes, pixels, batch, steps) is exceeded.</summary>
    LimitExceeded = 3,

    /// <summary>The job's deadline passed.</summary>
    Timeout = 4,

    /// <summary>Cancelled by <see cref="CancelWorkflow"/>.</summary>
    Cancelled = 5,

    /// <summary>A worker fault.</summary>
    Internal = 6,

    /// <summary>The worker's output folder had no space left (ENOSPC, quota): nothing was written; another worker may succeed.</summary>
    StorageFull = 7,

    /// <summary>A node's IMAGE, LATENT or MASK output held NaN or Inf; nothing was written or cached. See node errors for the node.</summary>
    NonFiniteOutput = 8,

    /// <summary>The outputs could not be written to the object store after retries (the message names the bucket and the reason); no object of the job is left there.</summary>
    OutputDeliveryFailed = 9,
}
