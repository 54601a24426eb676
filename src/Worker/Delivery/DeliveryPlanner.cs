using ComfySnap.Contracts;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Delivery;

/// <summary>Resolves each job's <see cref="DeliveryPlan"/> against this worker's ObjectStore and Output settings.</summary>
public sealed class DeliveryPlanner(IOptions<ObjectStoreOptions> store, IOptions<OutputFormatOptions> output)
{
    public (DeliveryPlan? Plan, string? Problem) Resolve(RunWorkflow job) => DeliveryPlan.Resolve(job, store.Value, output.Value);
}
