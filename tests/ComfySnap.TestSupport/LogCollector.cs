using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace ComfySnap.TestSupport;

/// <summary>A Serilog sink keeping every event of a test worker.</summary>
public sealed class LogCollector : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyList<LogEvent> Events => [.. _events];

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public IReadOnlyList<LogEvent> From(string sourceContext, LogEventLevel level) =>
        [.. Events.Where(e => e.Level == level && e.Properties.TryGetValue("SourceContext", out var s) && s.ToString().Trim('"') == sourceContext)];

    /// <summary>How often the engine started running the given job.</summary>
    public int Executions(string jobId) => Events.Count(e =>
        e.MessageTemplate.Text.StartsWith("Job {JobId} running", StringComparison.Ordinal)
        && e.Properties.TryGetValue("JobId", out var id) && id.ToString().Trim('"') == jobId);
}
