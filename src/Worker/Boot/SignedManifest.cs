using System.Text;
using ComfySnap.Snapshots;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Reads the snapshot manifest once and, when a signing key is configured, verifies its signature
/// over exactly those bytes before anything in it is trusted. Without a key: as unsigned snapshots always were.
/// </summary>
public static class SignedManifest
{
    /// <summary>The manifest and whether it was verified, or the reason it must not be restored.</summary>
    public static async Task<(SnapshotManifest? Manifest, bool Verified, FallbackReason? Refused)> ReadAsync(string directory, SnapshotOptions options, CancellationToken cancellationToken)
    {
        byte[]? key;
        try
        {
            key = SnapshotSigningKey.Load(options.SigningKeyFile, Environment.GetEnvironmentVariable(SnapshotSigningKey.EnvironmentVariable));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // A key was meant to be configured: never restore unverified.
            return (null, false, new(FallbackKind.SignatureInvalid, $"the snapshot signing key cannot be read: {e.Message}"));
        }

        var bytes = await File.ReadAllBytesAsync(Path.Combine(directory, SnapshotManifest.FileName), cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            return (SnapshotManifest.Parse(bytes), false, null);
        }

        var signaturePath = Path.Combine(directory, ManifestSignature.FileName);
        var signature = File.Exists(signaturePath) ? await File.ReadAllTextAsync(signaturePath, Encoding.ASCII, cancellationToken).ConfigureAwait(false) : null;
        if (ManifestSignature.Verify(bytes, signature, key) is { } invalid)
        {
            return (null, false, new(FallbackKind.SignatureInvalid, invalid));
        }

        var manifest = SnapshotManifest.Parse(bytes);
        return manifest.ImageSha256 is null
            ? (null, false, new(FallbackKind.SignatureInvalid, "the signed manifest has no SHA-256 image checksums"))
            : (manifest, true, null);
    }
}
