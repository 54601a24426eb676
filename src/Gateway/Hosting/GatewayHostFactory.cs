using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.ServiceDefaults.Hosting;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.ServiceDefaults.Telemetry;
using ComfySnap.Gateway.Endpoints;
using Serilog;
using Serilog.Events;

namespace ComfySnap.Gateway.Hosting;

/// <summary>
/// Builds the gateway: configuration as the worker reads it (an optional appsettings.json beside the binary,
/// COMFYSNAP_ environment variables, overrides), Serilog console logging, Kestrel on Gateway:Listen.
/// </summary>
public static class GatewayHostFactory
{
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null, Action<LoggerConfiguration>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("COMFYSNAP_")
            .AddSecretFiles("COMFYSNAP_")
            .AddCommandLine(args)
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        var projectServices = ProjectServices.Apply(builder.Configuration, Environment.GetEnvironmentVariable);
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
                .Filter.FirstContact(services.GetService<BrokerConnectionState>())
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .Enrich.FromLogContext()
                .WriteTo.ConsoleFromConfiguration(builder.Configuration, "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj}{NewLine}{Exception}");
            configureLogging?.Invoke(logger);
        }, preserveStaticLogger: true);

        var listen = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>()?.Listen ?? new GatewayOptions().Listen;
        builder.WebHost.UseUrls(listen.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.AddComfyGateway(builder.Configuration);
        // ASP.NET Core's own sources and meter: incoming requests as spans and http.server.* metrics.
        builder.Services.AddComfySnapTelemetry(builder.Configuration, "comfysnap-gateway", ["Microsoft.AspNetCore"], ["Microsoft.AspNetCore.Hosting"]);

        var app = builder.Build();
        projectServices?.Log(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayHostFactory)));
        app.UseWebSockets();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.MapComfyApi();
        return app;
    }
}
