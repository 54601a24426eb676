namespace ComfySnap.Contracts;

/// <summary>How output files travel back to the publisher.</summary>
/// <param name="MaxInlineBytes">Files up to this size are sent inside <see cref="WorkflowCompleted"/>; larger ones as a Redis key. Null: the worker's default.</param>
public sealed record OutputDelivery(long? MaxInlineBytes = null);
