using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ComfySnap.ServiceDefaults.Hosting;

/// <summary>
/// The console sink of the worker and the gateway: a human-readable line by default, or, with
/// Logging:Format=json, one JSON object per line (Serilog's compact format with the rendered
/// message: @t, @m, @l, and every structured property such as JobId) for log shippers.
/// </summary>
public static class ConsoleLogging
{
    public const string FormatKey = "Logging:Format";

    public static LoggerConfiguration ConsoleFromConfiguration(this LoggerSinkConfiguration sink, IConfiguration configuration, string textTemplate, LogEventLevel? standardErrorFromLevel = null) =>
        IsJson(configuration[FormatKey])
            ? sink.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: standardErrorFromLevel)
            : sink.Console(outputTemplate: textTemplate, standardErrorFromLevel: standardErrorFromLevel);

    /// <summary>text (or unset) or json; anything else is a configuration error, not a silent default.</summary>
    public static bool IsJson(string? format) => format?.Trim().ToLowerInvariant() switch
    {
        null or "" or "text" => false,
        "json" => true,
        _ => throw new InvalidOperationException($"{FormatKey} must be 'text' or 'json', not '{format}'"),
    };
}
