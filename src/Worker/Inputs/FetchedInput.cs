namespace ComfySnap.Worker.Inputs;

/// <summary>An input's bytes and the file extension its content has (".png", ...).</summary>
public sealed record FetchedInput(byte[] Bytes, string Extension);
