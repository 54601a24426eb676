using ComfySnap.ServiceDefaults.RabbitMq;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;

namespace ComfySnap.ServiceDefaults.FirstContact;

/// <summary>
/// Keeps a first-contact failure to the one line <see cref="ProgramExit"/> prints: drops the host's
/// own report of that exception (with its stack trace), and MassTransit's retry warnings and faults
/// until the bus has connected once (after that they report outages and stay).
/// </summary>
public static class FirstContactLogFilter
{
    public static LoggerConfiguration FirstContact(this LoggerFilterConfiguration filter, BrokerConnectionState? broker) =>
        filter.ByExcluding(e => (e.Exception is { } x && ProgramExit.OneLine(x) is not null)
            || (broker is { Connected: false } && FromMassTransit(e)));

    private static bool FromMassTransit(LogEvent e) =>
        e.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string name }
        && name.StartsWith("MassTransit", StringComparison.Ordinal);
}
