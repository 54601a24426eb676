namespace ComfySnap.Worker.Outbound;

/// <summary>An outbound connection the <see cref="OutboundPolicy"/> refused (the host resolved to a non-public address).</summary>
public sealed class OutboundRefusedException(string message) : Exception(message);
