namespace ComfySnap.Snapshots;

/// <summary>
/// The lines a restored worker and its `serve` supervisor exchange, after BOOTED, when the worker
/// must change model sets: the worker asks for a copy restored from the set's snapshot
/// (<see cref="Request"/> on its stdout); the supervisor parks one (restored, before its handshake:
/// no connection yet) and answers on the worker's stdin <see cref="Ready"/>, or <see cref="Refused"/>
/// with the reason when it cannot, and the worker then loads the models itself.
/// </summary>
public static class SwitchProtocol
{
    public const string RequestPrefix = "COMFYSNAP-SWITCH ";
    public const string ReadyPrefix = "COMFYSNAP-SWITCH-READY ";
    public const string RefusedPrefix = "COMFYSNAP-SWITCH-REFUSED ";

    /// <summary>
    /// Asks for the snapshot <paramref name="name"/> (a Snapshot:ModelSets name) because model set
    /// <paramref name="setKey"/> is needed since <paramref name="neededAt"/>.
    /// </summary>
    public static string Request(string name, string setKey, DateTimeOffset neededAt)
    {
        ThrowIfBadName(name);
        ThrowIfBadName(setKey);
        return $"{RequestPrefix}{name} {setKey} {neededAt.ToUnixTimeMilliseconds()}";
    }

    /// <summary>The snapshot's name, the needed set's key and when it was needed, or null for any other line.</summary>
    public static SwitchRequest? ParseRequest(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith(RequestPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = line[RequestPrefix.Length..].Split(' ');
        return parts.Length == 3 && IsName(parts[0]) && IsName(parts[1])
            && long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? new SwitchRequest(parts[0], parts[1], DateTimeOffset.FromUnixTimeMilliseconds(ms))
            : null;
    }

    /// <summary>The supervisor holds a parked copy of set <paramref name="name"/>: the worker may stop now.</summary>
    public static string Ready(string name) => ReadyPrefix + name;

    public static string Refused(string name, string reason) => $"{RefusedPrefix}{name} {reason.ReplaceLineEndings(" ")}";

    /// <summary>
    /// The set an answer is about, and whether the supervisor has a copy of it parked (otherwise the
    /// reason it gave); null for a line that is no answer. Naming the set lets a worker skip a late
    /// answer to an earlier request that it had stopped waiting for.
    /// </summary>
    public static (string Name, bool Ready, string? Reason)? ParseAnswer(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
        {
            return (line[ReadyPrefix.Length..], true, null);
        }

        if (!line.StartsWith(RefusedPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = line[RefusedPrefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (rest, false, "refused") : (rest[..space], false, rest[(space + 1)..]);
    }

    /// <summary>
    /// A set's name is a folder name under Snapshot:ModelSetDirectory and one word of the protocol:
    /// letters, digits, '-', '_' and '.', not starting with '.'.
    /// </summary>
    public static bool IsName(string name) =>
        name.Length is > 0 and <= 100 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static void ThrowIfBadName(string name)
    {
        if (!IsName(name))
        {
            throw new FormatException($"model set name '{name}' must be 1-100 letters, digits, '-', '_' or '.', not starting with '.'");
        }
    }
}

/// <summary>A worker's request to be replaced by a copy of snapshot <paramref name="Name"/>, for model set <paramref name="SetKey"/>.</summary>
public sealed record SwitchRequest(string Name, string SetKey, DateTimeOffset NeededAt);
