using ComfySnap.Contracts;

namespace ComfySnap.Worker.Jobs;

/// <summary>How a job's events leave the worker.</summary>
public interface IJobPublisher
{
    /// <summary>Sent at once (accepted, progress), even if the job later fails.</summary>
    Task PublishNowAsync<T>(T message, CancellationToken cancellationToken)
        where T : class;

    /// <summary>Sent when the job's message is acknowledged (results): suppressed when the attempt throws.</summary>
    Task PublishResultAsync<T>(T message, CancellationToken cancellationToken)
        where T : class;

    /// <summary>Sent to one queue's address when the job's message is acknowledged, like results (a webhook delivery).</summary>
    Task SendResultAsync<T>(Uri destination, T message, CancellationToken cancellationToken)
        where T : class;

    /// <summary>
    /// Sends the job itself on to another exchange (a hand-back or a forward), with a routing key and
    /// headers; like results, it leaves when this delivery is acknowledged, so the job is never in
    /// neither place.
    /// </summary>
    Task RerouteAsync(RunWorkflow job, Uri exchange, string? routingKey, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken);
}
