namespace ComfySnap.Snapshots;

/// <summary>Why a parked process must not be checkpointed.</summary>
public enum RefusalKind
{
    GpuDevice,
    TcpSocket,
    WritableFile,
    SecretInEnvironment,
}

/// <summary>One reason the builder refuses to dump a process, with the evidence.</summary>
public sealed record SnapshotRefusal(RefusalKind Kind, string Detail)
{
    public override string ToString() => $"{Kind}: {Detail}";
}
