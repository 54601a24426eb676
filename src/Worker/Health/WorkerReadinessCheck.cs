using System.Text.Json.Nodes;
using ComfySnap.Worker.Hosting;
using MassTransit;
using Microsoft.Extensions.Hosting;

namespace ComfySnap.Worker.Health;

/// <summary>A worker is ready when it has booted, its bus consumes, and it is not stopping.</summary>
public sealed class WorkerReadinessCheck(WorkerReadiness readiness, IBusControl bus, IHostApplicationLifetime lifetime)
{
    public (bool Ready, JsonObject Checks) Check()
    {
        var booted = readiness.Booted;
        var boot = booted.Status switch
        {
            TaskStatus.RanToCompletion => "ok",
            TaskStatus.Faulted => "failed: " + booted.Exception?.InnerException?.Message,
            _ => "booting",
        };
        // Before WorkerBooted the bus is not started on purpose (a snapshot may be taken): report it only after.
        var health = booted.IsCompletedSuccessfully ? bus.CheckHealth() : null;
        var consuming = health is null ? "not started" : health.Status == BusHealthStatus.Healthy ? "ok" : $"{health.Status}: {health.Description}";
        var stopping = lifetime.ApplicationStopping.IsCancellationRequested;
        var checks = new JsonObject
        {
            ["boot"] = boot,
            ["bus"] = consuming,
            ["stopping"] = stopping,
            ["worker_id"] = booted.IsCompletedSuccessfully ? booted.Result.WorkerId : null,
        };
        return (boot == "ok" && consuming == "ok" && !stopping, checks);
    }
}
