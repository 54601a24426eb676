using System.Text.Json;
using ComfySnap.Contracts;
using StackExchange.Redis;

namespace ComfySnap.Gateway.State;

/// <summary>Where /view finds an output: the Redis key of its bytes (the worker's claim check, or the gateway's copy of inline bytes).</summary>
public sealed record StoredFile(string PromptId, string Key, string ContentType, string Sha256);

/// <summary>An image as ComfyUI lists it in outputs: <c>{filename, subfolder, type}</c>.</summary>
public sealed record ImageRef(string Filename, string Subfolder, string Type);

/// <summary>
/// Names every output of a finished prompt for /view. Workers number their files independently,
/// so two prompts can produce the same name: the first keeps it, a later one with other bytes is
/// listed as NAME_&lt;prompt id prefix&gt;.EXT (deterministic, so every gateway lists the same name).
/// </summary>
public sealed class OutputFileStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    public const string OutputType = "output";

    private IDatabase Db => redis.GetDatabase();

    public async Task<ImageRef> RegisterAsync(string promptId, OutputFile file)
    {
        var db = Db;
        var slash = file.FileName.LastIndexOf('/');
        var subfolder = slash >= 0 ? file.FileName[..slash] : "";
        var name = file.FileName[(slash + 1)..];
        var key = file.InlineBytes is not null ? keys.Blob(file.Sha256) : file.RedisKey ?? throw new InvalidOperationException($"output {file.FileName} has neither bytes nor a Redis key");
        var entry = JsonSerializer.Serialize(new StoredFile(promptId, key, file.ContentType, file.Sha256));
        var nameKey = keys.File(OutputType, subfolder, name);
        // One round trip: the bytes, the claim on the name, and who holds the name after the claim
        // (the same connection runs them in order), used only when the claim lost.
        var stored = file.InlineBytes is { } bytes ? db.StringSetAsync(key, bytes, keys.Ttl) : Task.FromResult(true);
        var claimed = db.StringSetAsync(nameKey, entry, keys.Ttl, When.NotExists);
        var holder = db.StringGetAsync(nameKey);
        await Task.WhenAll(stored, claimed, holder).ConfigureAwait(false);
        var held = await holder.ConfigureAwait(false);
        if (await claimed.ConfigureAwait(false)
            || !held.IsNullOrEmpty && JsonSerializer.Deserialize<StoredFile>(held.ToString()) is { } existing && (existing.PromptId == promptId || existing.Sha256 == file.Sha256))
        {
            return new ImageRef(name, subfolder, OutputType);
        }

        var unique = $"{Path.GetFileNameWithoutExtension(name)}_{promptId[..Math.Min(8, promptId.Length)]}{Path.GetExtension(name)}";
        await db.StringSetAsync(keys.File(OutputType, subfolder, unique), entry, keys.Ttl).ConfigureAwait(false);
        return new ImageRef(unique, subfolder, OutputType);
    }

    /// <summary>The bytes and content type of a listed file; null when unknown or expired.</summary>
    public async Task<(byte[] Bytes, string ContentType)?> ReadAsync(string type, string subfolder, string filename)
    {
        if (await FindAsync(type, subfolder, filename).ConfigureAwait(false) is not { } stored)
        {
            return null;
        }

        var bytes = (byte[]?)await Db.StringGetAsync(stored.Key).ConfigureAwait(false);
        return bytes is null ? null : (bytes, stored.ContentType);
    }

    /// <summary>The size of a listed file's bytes; null when they expired.</summary>
    public async Task<long?> SizeAsync(StoredFile stored)
    {
        var length = await Db.StringLengthAsync(stored.Key).ConfigureAwait(false);
        return length > 0 ? length : null;
    }

    /// <summary>What a listed name points at; null when unknown or expired.</summary>
    public async Task<StoredFile?> FindAsync(string type, string subfolder, string filename)
    {
        var value = await Db.StringGetAsync(keys.File(type, subfolder, filename)).ConfigureAwait(false);
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<StoredFile>(value.ToString());
    }
}
