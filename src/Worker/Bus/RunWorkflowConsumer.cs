using ComfySnap.Contracts;
using ComfySnap.Worker.Jobs;
using MassTransit;

namespace ComfySnap.Worker.Bus;

/// <summary>Takes RunWorkflow messages off the worker queue and hands them to the <see cref="JobRunner"/>.</summary>
public sealed class RunWorkflowConsumer(JobRunner runner, IBus bus) : IConsumer<RunWorkflow>
{
    public Task Consume(ConsumeContext<RunWorkflow> context) =>
        runner.RunAsync(context.Message, context.SentTime is { } s ? new DateTimeOffset(s, TimeSpan.Zero) : null, new Publisher(context, bus), context.CancellationToken);

    // Results go through the consume context (held by the in-memory outbox until the message is
    // acknowledged); accepted and progress go straight to the bus so they arrive while the job runs.
    private sealed class Publisher(ConsumeContext context, IBus bus) : IJobPublisher
    {
        public Task PublishNowAsync<T>(T message, CancellationToken cancellationToken)
            where T : class => bus.Publish(message, cancellationToken);

        public Task PublishResultAsync<T>(T message, CancellationToken cancellationToken)
            where T : class => context.Publish(message, cancellationToken);
    }
}
