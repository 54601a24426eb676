using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.Hosting;

namespace ComfySnap.Worker.Cli;

/// <summary>`serve`: the queue worker; runs until SIGTERM/Ctrl+C, then stops the bus (finishing or handing back the job).</summary>
public static class ServeCommand
{
    public static async Task<int> RunAsync(IDictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        var builder = WorkerHostFactory.CreateBuilder(overrides);
        builder.Services.AddQueueWorker(builder.Configuration);
        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }
}
