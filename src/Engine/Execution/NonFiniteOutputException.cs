namespace ComfySnap.Engine.Execution;

/// <summary>A node returned an IMAGE, LATENT or MASK holding NaN or Inf (a broken model, overflow, bad memory).</summary>
public sealed class NonFiniteOutputException(int outputIndex, string outputType, long nonFinite, long total)
    : Exception($"output {outputIndex} ({outputType}) holds {nonFinite} NaN or Inf value(s) of {total}")
{
    /// <summary>The node error type a job failure reports for it.</summary>
    public const string ErrorType = "non_finite_output";

    public int OutputIndex { get; } = outputIndex;

    public string OutputType { get; } = outputType;

    public long NonFinite { get; } = nonFinite;
}
