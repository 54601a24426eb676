using Serilog;
using Serilog.Core;
using Serilog.Formatting.Compact;

namespace ComfySnap.SnapshotBuilder;

/// <summary>
/// The builder's console log: text, or JSON lines (Serilog's compact format, rendered message) when
/// COMFYSNAP_Logging__Format=json, the same key the worker and the gateway read as Logging:Format.
/// </summary>
public static class BuilderLogging
{
    public const string FormatVariable = "COMFYSNAP_Logging__Format";

    public static Logger Create(string? format)
    {
        var logger = new LoggerConfiguration();
        return (format?.Trim().ToLowerInvariant() switch
        {
            null or "" or "text" => logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}"),
            "json" => logger.WriteTo.Console(new RenderedCompactJsonFormatter()),
            _ => throw new InvalidOperationException($"{FormatVariable} must be 'text' or 'json', not '{format}'"),
        }).CreateLogger();
    }
}
