using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComfySnap.Snapshots;

/// <summary>
/// The line protocol between a prepared worker and whoever holds its pipes. The prepared worker
/// prints READY + its phases on stdout and blocks reading stdin; that is the moment it is dumped.
/// After a restore the launcher writes one line of <see cref="ResumeConfig"/>; the worker answers
/// BOOTED + its resume report.
/// </summary>
public static class PrepareProtocol
{
    public const string ReadyPrefix = "COMFYSNAP-READY ";
    public const string BootedPrefix = "COMFYSNAP-BOOTED ";

    public static string Ready(IReadOnlyList<PreparePhase> phases) => ReadyPrefix + JsonSerializer.Serialize(phases, ProtocolJson.Default.IReadOnlyListPreparePhase);

    public static IReadOnlyList<PreparePhase> ParseReady(string line) =>
        JsonSerializer.Deserialize(line[ReadyPrefix.Length..], ProtocolJson.Default.ListPreparePhase) ?? [];

    public static string Booted(ResumeReport report) => BootedPrefix + JsonSerializer.Serialize(report, ProtocolJson.Default.ResumeReport);

    public static ResumeReport ParseBooted(string line) =>
        JsonSerializer.Deserialize(line[BootedPrefix.Length..], ProtocolJson.Default.ResumeReport) ?? throw new InvalidDataException("empty BOOTED line");

    /// <summary>The launcher's line to a restored worker.</summary>
    public static string Resume(ResumeConfig config) => JsonSerializer.Serialize(config, ProtocolJson.Default.ResumeConfig);

    public static ResumeConfig ParseResume(string line) =>
        JsonSerializer.Deserialize(line, ProtocolJson.Default.ResumeConfig) ?? throw new InvalidDataException("empty resume config");
}

/// <summary>Runtime configuration handed to a restored worker (never part of the snapshot).</summary>
/// <remarks>The restorer fills in the snapshot id and its own phases (manifest read, restore, manifest and image checks).</remarks>
public sealed record ResumeConfig(string WorkerId, IReadOnlyDictionary<string, string?> Settings)
{
    public string? SnapshotId { get; init; }

    public IReadOnlyList<PreparePhase> LauncherPhases { get; init; } = [];

    /// <summary>Page the mapped weights in after BOOTED instead of before it (Snapshot:PageInWeights).</summary>
    public bool PageInWeightsAfterReady { get; init; }

    /// <summary>The `serve` process that restored this copy (host pid): the copy stops when it is gone.</summary>
    public int? SupervisorPid { get; init; }

    /// <summary>This copy replaces a worker that needed this model set (switch by restore): it reports how long the switch took.</summary>
    public string? SwitchedToSet { get; init; }

    /// <summary>When the replaced worker needed <see cref="SwitchedToSet"/>.</summary>
    public DateTimeOffset? SwitchNeededAt { get; init; }

    /// <summary>The switch's milestones before this copy got its config (parked, told ready, config handed), each in ms since <see cref="SwitchNeededAt"/>.</summary>
    public IReadOnlyList<PreparePhase> SwitchPhases { get; init; } = [];
}

/// <summary>What a restored worker reports once it is ready: its resume phases and canary checksum.</summary>
public sealed record ResumeReport(string WorkerId, IReadOnlyList<PreparePhase> Phases, string CanarySha256, string? Error);

/// <summary>
/// Source-generated serializers for the protocol records: a restored worker parses its resume
/// config and writes BOOTED without building reflection metadata or JIT-compiling serializers
/// after it wakes up (that work would sit on the handshake).
/// </summary>
[JsonSerializable(typeof(ResumeConfig))]
[JsonSerializable(typeof(ResumeReport))]
[JsonSerializable(typeof(List<PreparePhase>))]
[JsonSerializable(typeof(IReadOnlyList<PreparePhase>))]
public sealed partial class ProtocolJson : JsonSerializerContext;
