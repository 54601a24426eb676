using ComfySnap.Contracts;
using ComfySnap.Gateway.Relay;
using MassTransit;

namespace ComfySnap.Gateway.Bus;

/// <summary>The workers' job events, on this gateway's own queue, handed to the <see cref="PromptRelay"/> one at a time (in order).</summary>
public sealed class GatewayEventConsumer(PromptRelay relay) :
    IConsumer<WorkflowAccepted>,
    IConsumer<WorkflowProgress>,
    IConsumer<WorkflowCompleted>,
    IConsumer<WorkflowFailed>
{
    public Task Consume(ConsumeContext<WorkflowAccepted> context) => relay.OnAcceptedAsync(context.Message);

    public Task Consume(ConsumeContext<WorkflowProgress> context) => relay.OnProgressAsync(context.Message);

    public Task Consume(ConsumeContext<WorkflowCompleted> context) => relay.OnCompletedAsync(context.Message);

    public Task Consume(ConsumeContext<WorkflowFailed> context) => relay.OnFailedAsync(context.Message);
}
