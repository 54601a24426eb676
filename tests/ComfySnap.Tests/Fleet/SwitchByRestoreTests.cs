using ComfySnap.Contracts;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Fleet;

namespace ComfySnap.Tests.Fleet;

/// <summary>Switch by restore, the parts without processes: which snapshot fits a set, the control-channel lines, the builder's --model-set.</summary>
public sealed class SwitchByRestoreTests
{
    private static readonly Dictionary<string, List<string>> Sets = new(StringComparer.Ordinal)
    {
        ["anime"] = ["checkpoints/anime.safetensors", "loras/ink.safetensors"],
        ["anime-only"] = ["checkpoints/anime.safetensors"],
        ["photo"] = ["checkpoints/photo.safetensors", "vae/sharp.safetensors"],
    };

    [Fact]
    public void The_smallest_snapshot_holding_every_model_of_the_set_fits()
    {
        Assert.Equal("anime-only", ModelSetSnapshots.Fitting(Sets, ModelSet.Of(["checkpoints/anime.safetensors"])!).Name);
        Assert.Equal("anime", ModelSetSnapshots.Fitting(Sets, ModelSet.Of(["loras/ink.safetensors", "checkpoints/anime.safetensors"])!).Name);
        Assert.Equal("photo", ModelSetSnapshots.Fitting(Sets, ModelSet.Of(["checkpoints\\photo.safetensors"])!).Name);
    }

    [Fact]
    public void A_set_no_snapshot_holds_in_full_has_a_reason_naming_the_snapshots_and_models()
    {
        var (name, why) = ModelSetSnapshots.Fitting(Sets, ModelSet.Of(["checkpoints/anime.safetensors", "vae/sharp.safetensors"])!);

        Assert.Null(name);
        Assert.Equal("no snapshot in Snapshot:ModelSets (anime, anime-only, photo) preloads every model of checkpoints/anime.safetensors, vae/sharp.safetensors", why);
        Assert.Equal("no Snapshot:ModelSets configured", ModelSetSnapshots.Fitting(new Dictionary<string, List<string>>(), ModelSet.Of(["checkpoints/a.safetensors"])!).WhyNone);
    }

    [Fact]
    public void Switch_lines_round_trip_and_other_lines_are_not_mistaken_for_them()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_123_456);
        var request = SwitchProtocol.ParseRequest(SwitchProtocol.Request("anime", "ms-0123456789abcdef", at));

        Assert.Equal(new SwitchRequest("anime", "ms-0123456789abcdef", at), request);
        Assert.Null(SwitchProtocol.ParseRequest("COMFYSNAP-SWITCH ../etc ms-1 5"));
        Assert.Null(SwitchProtocol.ParseRequest("[12:00:01 INF] COMFYSNAP-SWITCH anime ms-1 5"));
        Assert.Equal(("anime", true, (string?)null), SwitchProtocol.ParseAnswer(SwitchProtocol.Ready("anime")));
        Assert.Equal(("anime", false, "SnapshotMissing: no manifest.json in /s/anime"),
            SwitchProtocol.ParseAnswer(SwitchProtocol.Refused("anime", "SnapshotMissing: no manifest.json\nin /s/anime")));
        Assert.Null(SwitchProtocol.ParseAnswer("{\"workerId\":\"w\"}"));
        Assert.Throws<FormatException>(() => SwitchProtocol.Request("a b", "ms-1", at));
    }

    [Fact]
    public void Builder_model_sets_parse_in_order_and_bad_ones_are_refused_with_the_argument()
    {
        var sets = ModelSetArguments.Parse(["anime=checkpoints/anime.safetensors, loras/ink.safetensors", "photo=checkpoints/photo.safetensors"]);

        Assert.Equal(["anime", "photo"], sets.Select(s => s.Name));
        Assert.Equal(["checkpoints/anime.safetensors", "loras/ink.safetensors"], sets[0].Models);
        Assert.Contains("'anime'", Assert.Throws<FormatException>(() => ModelSetArguments.Parse(["anime"])).Message, StringComparison.Ordinal);
        Assert.Contains("kind/name", Assert.Throws<FormatException>(() => ModelSetArguments.Parse(["anime=anime.safetensors"])).Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<FormatException>(() => ModelSetArguments.Parse(["a=checkpoints/x", "a=checkpoints/y"])).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ModelSetArguments.Parse([".hidden=checkpoints/x"]));
    }

    [Fact]
    public void A_copys_switch_timing_carries_the_supervisors_milestones_then_its_own_and_is_reported_once_for_its_set()
    {
        var neededAt = DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_000);
        var clock = new SteppedClock(neededAt);
        var arrival = new SwitchArrival(clock);
        arrival.Mark("ignored"); // no switch pending: nothing recorded
        arrival.Expect("ms-b", neededAt, [new PreparePhase("parked", 900, null), new PreparePhase("told-ready", 905, null)]);
        clock.Now = neededAt.AddMilliseconds(1020);
        arrival.Mark("booted");
        clock.Now = neededAt.AddMilliseconds(2500);

        Assert.Null(arrival.Arrived("ms-a"));
        var timing = arrival.Arrived("ms-b");

        Assert.NotNull(timing);
        Assert.Equal(2500, timing.Total.TotalMilliseconds);
        Assert.Equal("parked=900 told-ready=905 booted=1020 consuming=2500", timing.Describe());
        Assert.Null(arrival.Arrived("ms-b"));
    }

    private sealed class SteppedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
