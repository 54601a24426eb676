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
    /// Switch by restore only when the set's models not yet loaded here are at least this many bytes
    /// of files; smaller sets are loaded beside what is held. Replacing the process costs seconds
    /// whatever the model (2.5 s measured at light load) and drops every set the worker held, while a
    /// 60 MB checkpoint loads from the page cache in 0.1-0.5 s: `bench fleet` ran 3.5x slower with
    /// every set switched by restore. Default 1 GiB.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long SwitchMinBytes { get; set; } = 1L << 30;
}
