namespace ComfySnap.NodeSdk;

/// <summary>
/// A node was about to produce something beyond the engine's limits (a size computed from its
/// inputs' tensors, which validation cannot see). Thrown before allocating; the job fails with
/// FailureKind.LimitExceeded.
/// </summary>
public sealed class LimitExceededException(string message) : Exception(message);
