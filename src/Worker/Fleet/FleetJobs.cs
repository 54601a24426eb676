using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;
using ComfySnap.Engine.Routing;
using ComfySnap.Engine.Validation;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// The job runner's view of the fleet: a job's model set (derived from its validated workflow,
/// whatever the publisher sent), whether to run, forward or hand it back, and where a rerouted job goes.
/// </summary>
public sealed class FleetJobs(
    FleetState state,
    FleetRegistry registry,
    ModelStore models,
    ModelSetSwitch modelSetSwitch,
    JobCounters jobs,
    IOptions<RoutingOptions> routingOptions,
    IOptions<BusOptions> busOptions,
    TimeProvider time,
    ILogger<FleetJobs> logger)
{
    private readonly ModelRoutes _routes = new(busOptions.Value.QueueName);

    private string Self => busOptions.Value.EffectiveWorkerId;

    /// <summary>The job's model set from its workflow; remembered (and registered) so workers consume its queue once they hold it.</summary>
    public async Task<ModelSet?> LearnAsync(RunWorkflow job, ValidatedWorkflow workflow)
    {
        var set = WorkflowModelSet.Of(workflow);
        if (job.ModelSet is { } carried && carried.Key != set?.Key)
        {
            logger.LogWarning("Job {JobId} carried model set {CarriedKey} but its workflow needs {ModelSetKey}: routed by the former, reported by the latter",
                job.JobId, carried.Key, set?.Key ?? "none");
        }

        if (set is not null && state.Learn(set))
        {
            await registry.PutSetsAsync([set]).ConfigureAwait(false);
        }

        return set;
    }

    /// <summary>Why the set was loaded here instead of switched to by restore, or null.</summary>
    public string? SwitchFallbackFor(ModelSet? set) => state.SwitchFallbackFor(set?.Key);

    /// <summary>True when every model of the set is loaded here now.</summary>
    public bool Holds(ModelSet? set) => set is null || set.Models.All(models.IsLoaded);

    public async Task<RoutingDecision> DecideAsync(RunWorkflow job, ModelSet? set, JobDelivery delivery, CancellationToken cancellationToken)
    {
        var options = routingOptions.Value;
        var unloadable = state.UnloadableIn(set);
        var mayForward = options.Enabled && options.ForwardUnrouted && set is not null && job.ModelSet is null && delivery.Route == JobRoute.Shared;
        var decision = RoutingDecision.Run;
        if (unloadable is not null || mayForward)
        {
            var holds = Holds(set);
            IReadOnlyList<ComfySnap.Contracts.WorkerHeartbeat> live = unloadable is null && holds ? [] : await LiveAsync().ConfigureAwait(false);
            decision = RoutingDecision.Before(Self, set, job.ModelSet, delivery, unloadable, holds, live, options.Enabled, options.ForwardUnrouted, options.MaxHandBacks);
        }

        return decision.Action == RoutingAction.Run ? await SwitchOrRunAsync(set, cancellationToken).ConfigureAwait(false) : decision;
    }

    /// <summary>
    /// A job whose set is not held here, on a worker running nothing else: switch by restore when a
    /// snapshot holds the set (asked once per set; the fallback reason is kept for the job that loads it).
    /// </summary>
    private async Task<RoutingDecision> SwitchOrRunAsync(ModelSet? set, CancellationToken cancellationToken)
    {
        if (set is null || !modelSetSwitch.Configured || Holds(set) || state.SwitchFallbackFor(set.Key) is not null)
        {
            return RoutingDecision.Run;
        }

        if (!modelSetSwitch.Switching && jobs.Running > 1)
        {
            return RoutingDecision.Run; // other jobs run here: not now (a later job of the set asks again)
        }

        var outcome = await modelSetSwitch.TryAsync(set, cancellationToken).ConfigureAwait(false);
        if (outcome.Switching)
        {
            return new RoutingDecision(RoutingAction.Switch);
        }

        state.MarkSwitchFallback(set.Key, outcome.FallbackReason!);
        return RoutingDecision.Run;
    }

    /// <summary>
    /// A model of the job failed to load here. With routing on it is never tried here again; the job
    /// is handed back when a live worker may still load it. With routing off the job fails as before
    /// (and the next job tries the model again).
    /// </summary>
    public async Task<RoutingDecision> AfterLoadFailureAsync(ModelSet? set, JobDelivery delivery, string model, Exception error)
    {
        if (!routingOptions.Value.Enabled)
        {
            return new RoutingDecision(RoutingAction.Fail, model, error.Message);
        }

        state.MarkUnloadable(model, error.Message);
        logger.LogWarning("Model {Model} failed to load on {WorkerId} and will not be tried here again: {Reason}", model, Self, error.Message);
        return RoutingDecision.AfterLoadFailure(Self, set, delivery, model, error.Message, await LiveAsync().ConfigureAwait(false), routingOptions.Value.MaxHandBacks);
    }

    /// <summary>Where a handed-back job goes: the shared queue, naming every worker that failed it.</summary>
    public (Uri Exchange, string? RoutingKey, IReadOnlyDictionary<string, string> Headers) HandBack(JobDelivery delivery, RoutingDecision decision) =>
        (_routes.SharedExchangeAddress, null, new Dictionary<string, string>
        {
            [ModelRoutes.HandedBackByHeader] = string.Join(',', delivery.HandedBackBy.Append(Self).Distinct(StringComparer.Ordinal)),
            [ModelRoutes.HandBackReasonHeader] = $"{decision.Model}: {decision.Reason}",
        });

    /// <summary>Where a forwarded job goes: its model set's queue, through the model exchange.</summary>
    public (Uri Exchange, string? RoutingKey, IReadOnlyDictionary<string, string> Headers) Forward(ModelSet set) =>
        (_routes.ModelExchangeAddress, set.Key, new Dictionary<string, string> { [ModelRoutes.ForwardedByHeader] = Self });

    private async Task<IReadOnlyList<WorkerHeartbeat>> LiveAsync() =>
        FleetRegistry.Live(await registry.GetWorkersAsync().ConfigureAwait(false), time.GetUtcNow());
}
