using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace ComfySnap.TestSupport;

/// <summary>
/// An in-process queue worker expected NOT to boot (e.g. it must refuse a server's certificate):
/// returns the boot's failure and the worker's log, or throws when it booted or hung past the timeout.
/// </summary>
public static class FailingBoot
{
    public static async Task<(Exception Failure, IReadOnlyList<LogEvent> Logs)> RunAsync(IReadOnlyDictionary<string, string?> settings, TimeSpan timeout)
    {
        var logs = new LogCollector();
        var builder = WorkerHostFactory.CreateBuilder(new Dictionary<string, string?>(settings), configureLogging: l => l.WriteTo.Sink(logs));
        builder.Services.AddQueueWorker(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            await host.Services.GetRequiredService<WorkerReadiness>().Booted.WaitAsync(timeout);
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            return (e, logs.Events);
        }
        finally
        {
            await host.StopAsync(TimeSpan.FromSeconds(30));
        }

        throw new InvalidOperationException("the worker booted: it was expected to fail");
    }
}
