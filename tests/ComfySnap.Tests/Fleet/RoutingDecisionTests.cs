using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Fleet;

namespace ComfySnap.Tests.Fleet;

/// <summary>Routing decisions: forward, hand back, fail, run; the route a delivery took; LRU eviction under the budget.</summary>
public sealed class RoutingDecisionTests
{
    private static readonly ModelSet SetA = ModelSet.Of(["checkpoints/a.safetensors"])!;
    private static readonly ModelRoutes Routes = new("jobs");

    private static WorkerHeartbeat Worker(string id, IReadOnlyList<ModelSet>? sets = null, IReadOnlyList<string>? unloadable = null) =>
        new(id, BootMode.ColdBoot, null, 0, 0, 0, 2000, DateTimeOffset.UtcNow, [], sets ?? [], unloadable ?? []);

    private static RoutingDecision Decide(ModelSet? carried, JobDelivery delivery, (string, string)? unloadable, bool holds, IReadOnlyList<WorkerHeartbeat> live, bool enabled = true) =>
        RoutingDecision.Before("w1", SetA, carried, delivery, unloadable, holds, live, enabled, forwardUnrouted: true, maxHandBacks: 8);

    [Fact]
    public void An_unrouted_job_is_forwarded_when_another_live_worker_serves_its_set()
    {
        Assert.Equal(RoutingAction.Forward, Decide(null, JobDelivery.Shared, null, holds: false, [Worker("w1"), Worker("w2", [SetA])]).Action);
    }

    [Fact]
    public void A_job_runs_here_when_it_carried_its_set_holds_it_or_nobody_else_serves_it()
    {
        var serving = new[] { Worker("w2", [SetA]) };
        Assert.Equal(RoutingAction.Run, Decide(SetA, JobDelivery.Shared, null, holds: false, serving).Action);
        Assert.Equal(RoutingAction.Run, Decide(null, JobDelivery.Shared, null, holds: true, serving).Action);
        Assert.Equal(RoutingAction.Run, Decide(null, JobDelivery.Shared, null, holds: false, [Worker("w2")]).Action);
        Assert.Equal(RoutingAction.Run, Decide(null, new JobDelivery(JobRoute.Spilled, []), null, holds: false, serving).Action);
        Assert.Equal(RoutingAction.Run, Decide(null, JobDelivery.Shared, null, holds: false, serving, enabled: false).Action);
    }

    [Fact]
    public void A_model_that_failed_here_sends_the_job_back_while_another_worker_may_load_it()
    {
        var decision = Decide(SetA, JobDelivery.Shared, ("checkpoints/a.safetensors", "bad file"), holds: false, [Worker("w1"), Worker("w2")]);

        Assert.Equal((RoutingAction.HandBack, "checkpoints/a.safetensors", "bad file"), (decision.Action, decision.Model, decision.Reason));
    }

    [Fact]
    public void The_job_fails_when_every_live_worker_failed_the_model_or_the_bound_is_reached()
    {
        var triedByW2 = new JobDelivery(JobRoute.HandedBack, ["w2"]);
        Assert.Equal(RoutingAction.Fail, RoutingDecision.AfterLoadFailure("w1", SetA, triedByW2, "checkpoints/a.safetensors", "x", [Worker("w1"), Worker("w2")], 8).Action);
        Assert.Equal(RoutingAction.Fail, RoutingDecision.AfterLoadFailure("w1", SetA, JobDelivery.Shared, "checkpoints/a.safetensors", "x",
            [Worker("w1"), Worker("w3", unloadable: ["checkpoints/a.safetensors"])], 8).Action);
        Assert.Equal(RoutingAction.Fail, RoutingDecision.AfterLoadFailure("w1", SetA, triedByW2, "checkpoints/a.safetensors", "x", [Worker("w3")], maxHandBacks: 1).Action);
        Assert.Equal(RoutingAction.HandBack, RoutingDecision.AfterLoadFailure("w1", SetA, triedByW2, "checkpoints/a.safetensors", "x", [Worker("w3")], maxHandBacks: 2).Action);
    }

    [Theory]
    [InlineData("jobs-model-ms-0123456789abcdef", false, null, null, JobRoute.ModelQueue)]
    [InlineData("jobs-model-ms-0123456789abcdef", false, null, "w9", JobRoute.Forwarded)]
    [InlineData("jobs", false, null, null, JobRoute.Shared)]
    [InlineData("jobs", true, null, null, JobRoute.Spilled)]
    [InlineData("jobs", false, "w1,w2", null, JobRoute.HandedBack)]
    public void The_route_comes_from_the_input_queue_and_headers(string queue, bool deadLettered, string? handedBackBy, string? forwardedBy, JobRoute expected)
    {
        var headers = new Dictionary<string, string?> { [ModelRoutes.HandedBackByHeader] = handedBackBy, [ModelRoutes.ForwardedByHeader] = forwardedBy };

        var delivery = JobDelivery.Of(Routes, queue, h => headers.GetValueOrDefault(h), deadLettered);

        Assert.Equal(expected, delivery.Route);
        Assert.Equal(handedBackBy?.Split(',') ?? [], delivery.HandedBackBy);
    }

    [Fact]
    public void Topology_names_derive_from_the_shared_queue()
    {
        Assert.Equal("jobs-models", Routes.ModelExchange);
        Assert.Equal("ms-1", Routes.KeyOfQueue(Routes.ModelQueue("ms-1")));
        Assert.Null(Routes.KeyOfQueue("jobs"));
        Assert.Null(new ModelRoutes("other").KeyOfQueue(Routes.ModelQueue("ms-1")));
        Assert.Contains("alternateexchange=jobs", Routes.ModelExchangeAddress.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_budget_unloads_the_least_recently_used_unpinned_models_first()
    {
        HeldModel[] held = [new("m/new", "/n", 40, LastUsed: 30), new("m/old", "/o", 40, LastUsed: 10), new("m/mid", "/m", 40, LastUsed: 20)];

        Assert.Equal(["m/old"], ModelEviction.Choose(held, new HashSet<string>(), budget: 100, incomingBytes: 20));
        Assert.Equal(["m/old", "m/mid"], ModelEviction.Choose(held, new HashSet<string>(), budget: 100, incomingBytes: 50));
        Assert.Equal(["m/mid", "m/new"], ModelEviction.Choose(held, new HashSet<string> { "m/old" }, budget: 100, incomingBytes: 50));
        Assert.Empty(ModelEviction.Choose(held, new HashSet<string>(), budget: 0, incomingBytes: 1000));
        Assert.Empty(ModelEviction.Choose(held, new HashSet<string>(), budget: 120, incomingBytes: 0));
    }

    [Fact]
    public void A_worker_holds_the_known_sets_whose_every_model_is_loaded_and_none_failed()
    {
        var ab = ModelSet.Of(["m/a", "m/b"])!;
        var a = ModelSet.Of(["m/a"])!;
        var c = ModelSet.Of(["m/c"])!;

        Assert.Equal(new[] { a, ab }.OrderBy(s => s.Key, StringComparer.Ordinal), FleetState.HeldSets([ab, a, c], ["m/a", "m/b"], []));
        Assert.Equal([a], FleetState.HeldSets([ab, a, c], ["m/a", "m/b"], ["m/b"]));
    }
}
