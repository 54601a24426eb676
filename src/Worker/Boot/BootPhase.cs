namespace ComfySnap.Worker.Boot;

/// <summary>One named step of a worker's boot and how long it took.</summary>
public sealed record BootPhase(string Name, double Milliseconds, string? Detail = null);
