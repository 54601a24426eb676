using System.Text.Json;
using ComfySnap.Engine.Execution;

namespace ComfySnap.Tests.Fuzz;

/// <summary>How one fuzzed workflow ended: a success, a specific named failure, or a finding (crash, hang).</summary>
public sealed record FuzzOutcome(string Kind, string Name, string? Detail = null)
{
    /// <summary>Exceptions the engine and its nodes throw on purpose with a message for the user.</summary>
    private static readonly HashSet<Type> NamedNodeFailures =
    [
        typeof(ArgumentException), typeof(InvalidOperationException), typeof(InvalidDataException), typeof(NotSupportedException),
        typeof(FileNotFoundException), typeof(FormatException), typeof(IOException), typeof(NodeSdk.LimitExceededException),
        typeof(NonFiniteOutputException),
    ];

    public bool IsFinding => Kind is "crash" or "hang";

    public static FuzzOutcome Success => new("success", "completed");

    public static FuzzOutcome Invalid(string errorType) => new("invalid", errorType);

    public static FuzzOutcome Hang(string where) => new("hang", where);

    /// <summary>A node failure is named when its cause is one the engine throws on purpose; anything else (NullReference, IndexOutOfRange, a libtorch error) is a crash.</summary>
    public static FuzzOutcome FromException(Exception e) => e switch
    {
        NodeExecutionException { InnerException: { } inner } when NamedNodeFailures.Contains(inner.GetType()) =>
            new("node_error", $"{inner.GetType().Name}"),
        NodeExecutionException { InnerException: { } inner } => new("crash", $"{inner.GetType().Name} in a node", inner.ToString()),
        _ => new("crash", e.GetType().Name, e.ToString()),
    };

    public string Key => $"{Kind}:{Name}";

    public static string Shorten(string text) => text.Length > 600 ? text[..600] + "..." : text;

    public static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
