using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.State;

/// <summary>Every Redis key the gateway uses, under the fleet's Cache:KeyPrefix + "gateway:", so gateways sharing a prefix share state.</summary>
public sealed class RedisKeys(IOptions<RedisStateOptions> options)
{
    private readonly string _prefix = options.Value.KeyPrefix + "gateway:";

    public TimeSpan Ttl { get; } = options.Value.Ttl;

    /// <summary>The counter behind ComfyUI's queue "number".</summary>
    public string Number => _prefix + "number";

    /// <summary>A submitted prompt (JSON <see cref="PromptRecord"/>).</summary>
    public string Prompt(string promptId) => _prefix + "prompt:" + promptId;

    /// <summary>Sorted set of queued and running prompt ids, scored by number.</summary>
    public string Queue => _prefix + "queue";

    /// <summary>Set of prompt ids a worker has accepted and not finished.</summary>
    public string Running => _prefix + "running";

    /// <summary>Sorted set of finished prompt ids, scored by completion time (ms).</summary>
    public string HistoryIndex => _prefix + "history";

    public string History(string promptId) => _prefix + "history:" + promptId;

    /// <summary>Where /view finds a file: type/subfolder/filename -> JSON <see cref="StoredFile"/>.</summary>
    public string File(string type, string subfolder, string filename) => $"{_prefix}file:{type}/{subfolder}/{filename}";

    /// <summary>Bytes of an output that travelled inline, content-addressed.</summary>
    public string Blob(string sha256) => _prefix + "blob:" + sha256;
}
