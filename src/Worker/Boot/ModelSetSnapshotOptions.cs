using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// The model sets that have snapshots of their own (bound from "Snapshot"). A separate class from
/// <see cref="SnapshotOptions"/> because a restored worker gets these at run time over its control
/// channel, while its SnapshotOptions were read before the dump.
/// </summary>
public sealed class ModelSetSnapshotOptions
{
    /// <summary>
    /// Name -> the models its snapshot preloads, as kind/name (e.g. <c>Snapshot:ModelSets:anime:0=checkpoints/anime.safetensors</c>).
    /// The SnapshotBuilder builds each into <c>&lt;Snapshot:ModelSetDirectory&gt;/&lt;name&gt;</c>.
    /// </summary>
    public Dictionary<string, List<string>> ModelSets { get; init; } = new(StringComparer.Ordinal);

    /// <summary>How long a worker waits for its supervisor to park a copy of the set it switches to, before it loads the models itself.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SwitchTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// An override of the cost model (unset by default): when set, switch by restore exactly when the
    /// set's model files not yet loaded here are at least this many bytes, whatever loads and switches
    /// cost here (0: whenever a snapshot fits; the tests use it to switch their 60 MB checkpoints).
    /// </summary>
    [Range(0, long.MaxValue)]
    public long? SwitchMinBytes { get; set; }

    /// <summary>
    /// The switch by restore time expected before this worker observed one (need -> the copy
    /// consuming the set's queue); then the observed times' moving average. 3 s: 2.5 s measured at
    /// light load, 5.4 s in a busy `bench fleet` (docs/routing.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SwitchCostPrior { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The load bandwidth (bytes of model file per second) expected before this worker observed a
    /// load; then the observed loads' moving average, and a model's own load time once it loaded
    /// here. 1 GiB/s: a 60 MB checkpoint from the page cache loads at 0.5-1.3 GB/s here, a cold one
    /// from disk (or one converted to its fp32 side file first) slower.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long LoadBytesPerSecondPrior { get; set; } = 1L << 30;
}
