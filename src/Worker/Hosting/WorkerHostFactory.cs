using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.ServiceDefaults.Hosting;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

namespace ComfySnap.Worker.Hosting;

/// <summary>
/// Builds the worker's host: configuration from appsettings.json, COMFYSNAP_-prefixed environment
/// variables (e.g. COMFYSNAP_Models__BaseDirectory) and command-line overrides; Serilog console logging
/// (text, or JSON lines with Logging:Format=json).
/// </summary>
public static class WorkerHostFactory
{
    /// <param name="overrides">Settings above every other source.</param>
    /// <param name="logToStandardError">Every log line to stderr (stdout carries a command's own output).</param>
    /// <param name="configureLogging">More sinks or levels (tests collect the log).</param>
    /// <param name="processIsWorker">This process was started to be this worker: its boot counts from the process start, else from now.</param>
    public static HostApplicationBuilder CreateBuilder(IDictionary<string, string?>? overrides = null, bool logToStandardError = false, Action<LoggerConfiguration>? configureLogging = null, bool processIsWorker = false)
    {
        var clock = processIsWorker ? BootClock.FromProcessStart() : BootClock.StartingNow();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("COMFYSNAP_")
            .AddSecretFiles("COMFYSNAP_")
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        // preserveStaticLogger: each host logs through its own logger, never the process-wide
        // Log.Logger, so two hosts in one process (tests, the benchmark) cannot steal each other's logs.
        builder.Services.AddSerilog((services, logger) => ConfigureLogging(logger, builder.Configuration, services, logToStandardError, configureLogging), preserveStaticLogger: true);
        builder.Services.AddSingleton(clock);
        builder.Services.AddWorkflowEngine(builder.Configuration);
        return builder;
    }

    private static void ConfigureLogging(LoggerConfiguration logger, IConfiguration configuration, IServiceProvider services, bool logToStandardError, Action<LoggerConfiguration>? configure)
    {
        logger.ReadFrom.Configuration(configuration)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .Filter.FirstContact(services.GetService<BrokerConnectionState>())
            .Enrich.FromLogContext()
            .WriteTo.ConsoleFromConfiguration(
                configuration,
                "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {JobTag}{Message:lj}{NewLine}{Exception}",
                logToStandardError ? LogEventLevel.Verbose : null);
        configure?.Invoke(logger);
    }
}
