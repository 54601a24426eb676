using Spectre.Console;

namespace ComfySnap.Operator.Cli;

/// <summary>Where a command writes: a Spectre console for people, a plain writer for piped JSON, and errors.</summary>
/// <param name="Console">Tables, progress and summaries.</param>
/// <param name="Out">Machine-readable lines (tail --json).</param>
/// <param name="Error">Diagnostics and the "listening" line.</param>
public sealed record OperatorIo(IAnsiConsole Console, TextWriter Out, TextWriter Error)
{
    public static OperatorIo FromConsole() => new(AnsiConsole.Console, System.Console.Out, System.Console.Error);

    /// <summary>A non-interactive console without colours writing to <paramref name="writer"/> (tests, logs).</summary>
    public static OperatorIo Plain(TextWriter writer, TextWriter error, int width = 80)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        return new OperatorIo(console, writer, error);
    }
}
