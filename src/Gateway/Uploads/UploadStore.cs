using System.Security.Cryptography;
using System.Text.Json;
using ComfySnap.Gateway.State;
using StackExchange.Redis;

namespace ComfySnap.Gateway.Uploads;

/// <summary>
/// Uploaded files in Redis: bytes content-addressed (<see cref="RedisKeys.Blob"/>, by sha256) and the
/// name -> hash entry /view and LoadImage use (<see cref="RedisKeys.File"/>), both with Cache:Ttl. Name
/// clashes as ComfyUI: overwrite replaces; otherwise the same bytes keep the name and other bytes get
/// "NAME (1).EXT", "NAME (2).EXT", ...
/// </summary>
public sealed class UploadStore(IConnectionMultiplexer redis, RedisKeys keys, OutputFileStore files)
{
    private const int MaxRenames = 10_000;

    /// <summary>Stores <paramref name="bytes"/>; returns the name it is listed under.</summary>
    public async Task<string> SaveAsync(string type, string subfolder, string filename, byte[] bytes, string contentType, bool overwrite)
    {
        var db = redis.GetDatabase();
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var blob = keys.Blob(sha);
        await db.StringSetAsync(blob, bytes, keys.Ttl).ConfigureAwait(false);
        var entry = JsonSerializer.Serialize(new StoredFile("upload", blob, contentType, sha));
        var stem = Path.GetFileNameWithoutExtension(filename);
        var extension = Path.GetExtension(filename);
        for (var i = 0; i <= MaxRenames; i++)
        {
            var name = i == 0 ? filename : $"{stem} ({i}){extension}";
            var key = keys.File(type, subfolder, name);
            if (overwrite)
            {
                await db.StringSetAsync(key, entry, keys.Ttl).ConfigureAwait(false);
                return name;
            }

            if (await db.StringSetAsync(key, entry, keys.Ttl, When.NotExists).ConfigureAwait(false)
                || (await files.FindAsync(type, subfolder, name).ConfigureAwait(false))?.Sha256 == sha)
            {
                return name;
            }
        }

        throw new InvalidOperationException($"more than {MaxRenames} uploads named {filename}");
    }
}
