namespace ComfySnap.Snapshots;

/// <summary>A criu dump or restore that failed; carries the tail of criu's own log.</summary>
public sealed class CriuException(string message, string? logTail = null) : Exception(
    logTail is null ? message : $"{message}\n--- criu log (tail) ---\n{logTail}");
