namespace ComfySnap.ServiceDefaults.FirstContact;

/// <summary>
/// A service the program needs refused it, or could not be reached, when the program started: a
/// configuration problem, not an outage. Its message is the one line the program ends with, and
/// names the setting to change; no stack trace is shown for it.
/// </summary>
public sealed class FirstContactException : Exception
{
    public FirstContactException()
    {
    }

    public FirstContactException(string message)
        : base(message)
    {
    }

    public FirstContactException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>The first <see cref="FirstContactException"/> in <paramref name="e"/>'s chain (inner and aggregated exceptions), or null.</summary>
    public static FirstContactException? Find(Exception? e) => e switch
    {
        null => null,
        FirstContactException found => found,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Find).FirstOrDefault(f => f is not null),
        _ => Find(e.InnerException),
    };
}
