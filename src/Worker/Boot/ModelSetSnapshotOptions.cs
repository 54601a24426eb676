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
}
