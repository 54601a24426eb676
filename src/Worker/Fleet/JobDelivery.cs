using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;

namespace ComfySnap.Worker.Fleet;

/// <summary>How a job reached this worker: its route and the workers that handed it back.</summary>
/// <param name="Route">Model queue, shared queue, spilled, handed back or forwarded.</param>
/// <param name="HandedBackBy">Workers that could not load one of its models (header <see cref="ModelRoutes.HandedBackByHeader"/>).</param>
public sealed record JobDelivery(JobRoute Route, IReadOnlyList<string> HandedBackBy)
{
    public static readonly JobDelivery Shared = new(JobRoute.Shared, []);

    /// <summary>Reads the route from the queue the message came from and its headers.</summary>
    /// <param name="routes">The topology names.</param>
    /// <param name="inputQueue">The queue it was consumed from.</param>
    /// <param name="header">A message header by name (string value), or null.</param>
    /// <param name="deadLettered">True when RabbitMQ dead-lettered it (an x-death header).</param>
    public static JobDelivery Of(ModelRoutes routes, string inputQueue, Func<string, string?> header, bool deadLettered)
    {
        var handedBackBy = header(ModelRoutes.HandedBackByHeader) is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        if (routes.KeyOfQueue(inputQueue) is not null)
        {
            return new JobDelivery(header(ModelRoutes.ForwardedByHeader) is { Length: > 0 } ? JobRoute.Forwarded : JobRoute.ModelQueue, handedBackBy);
        }

        var route = deadLettered ? JobRoute.Spilled : handedBackBy.Length > 0 ? JobRoute.HandedBack : JobRoute.Shared;
        return new JobDelivery(route, handedBackBy);
    }
}
