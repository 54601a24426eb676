namespace ComfySnap.Snapshots;

/// <summary>
/// How a restore wires the restored process's stdio: for each fd, the key of the file it had at
/// dump time ("pipe:[N]"); criu's own fd of that number replaces it. Redirect flags decide
/// whether criu's (and so the restored process's) fd is a new pipe to the caller or the
/// caller's own stream.
/// </summary>
public sealed record RestoreStdio(
    IReadOnlyDictionary<int, string> InheritKeys,
    bool RedirectStandardInput = true,
    bool RedirectStandardOutput = true,
    bool RedirectStandardError = true);
