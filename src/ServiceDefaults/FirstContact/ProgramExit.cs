using Microsoft.Extensions.Options;

namespace ComfySnap.ServiceDefaults.FirstContact;

/// <summary>
/// How the worker and the gateway end on a configuration problem: one line on stderr that names the
/// setting to change and exit code 1, no stack trace. Anything else that escapes is a bug: it is
/// printed whole, still with exit code 1 (an exception escaping Main would abort the process with
/// SIGABRT: what the gateway did when its host failed to start).
/// </summary>
public static class ProgramExit
{
    public const int Failed = 1;

    /// <summary>Stopped (Ctrl+C, SIGTERM) before it was up: the shell's code for an interrupted program.</summary>
    public const int Interrupted = 130;

    public static async Task<int> RunAsync(Func<Task<int>> program, TextWriter? error = null)
    {
        error ??= Console.Error;
        try
        {
            return await program().ConfigureAwait(false);
        }
        catch (Exception e) when (OneLine(e) is { } line)
        {
            await error.WriteLineAsync(line).ConfigureAwait(false);
            return Failed;
        }
        catch (OperationCanceledException)
        {
            return Interrupted;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return Failed;
        }
    }

    /// <summary>The one line for a configuration problem anywhere in <paramref name="e"/>'s chain; null for anything else.</summary>
    public static string? OneLine(Exception e) =>
        FirstContactException.Find(e)?.Message
        ?? (FindOptionsFailure(e) is { } invalid ? string.Join("; ", invalid.Failures) : null);

    private static OptionsValidationException? FindOptionsFailure(Exception? e) => e switch
    {
        null => null,
        OptionsValidationException found => found,
        AggregateException aggregate => aggregate.InnerExceptions.Select(FindOptionsFailure).FirstOrDefault(f => f is not null),
        _ => FindOptionsFailure(e.InnerException),
    };
}
