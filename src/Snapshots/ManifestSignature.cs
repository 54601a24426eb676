using System.Security.Cryptography;
using System.Text;

namespace ComfySnap.Snapshots;

/// <summary>
/// HMAC-SHA256 over the exact bytes of manifest.json, kept beside it in manifest.sig. The manifest
/// holds the SHA-256 of every image file, so the signature covers the whole image.
/// </summary>
public static class ManifestSignature
{
    public const string FileName = "manifest.sig";

    private const string Scheme = "hmac-sha256:";

    public static string Sign(ReadOnlySpan<byte> manifestBytes, ReadOnlySpan<byte> key) =>
        Scheme + Convert.ToHexStringLower(HMACSHA256.HashData(key, manifestBytes));

    /// <summary>Signs the manifest written in <paramref name="directory"/>.</summary>
    public static async Task WriteAsync(string directory, byte[] key, CancellationToken cancellationToken)
    {
        var manifest = await File.ReadAllBytesAsync(Path.Combine(directory, SnapshotManifest.FileName), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, FileName), Sign(manifest, key) + "\n", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Null when <paramref name="signatureText"/> is the key's signature of the manifest bytes; else why not.</summary>
    public static string? Verify(ReadOnlySpan<byte> manifestBytes, string? signatureText, ReadOnlySpan<byte> key)
    {
        if (signatureText is null)
        {
            return $"the snapshot is unsigned (no {FileName})";
        }

        var expected = Encoding.ASCII.GetBytes(Sign(manifestBytes, key));
        var actual = Encoding.ASCII.GetBytes(signatureText.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, actual)
            ? null
            : "the manifest signature does not match (signed with another key, or the manifest was edited after signing)";
    }
}
