namespace ComfySnap.Worker.Jobs;

/// <summary>The RunWorkflow message itself is unusable (e.g. no JobId): not retried, goes to the error queue.</summary>
public sealed class InvalidJobException(string message) : Exception(message);
