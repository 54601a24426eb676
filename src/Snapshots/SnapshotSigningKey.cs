using System.Text;

namespace ComfySnap.Snapshots;

/// <summary>
/// The snapshot signing key, given at run time to the builder and the worker: a secret file or an
/// environment variable, never a command-line value, never in the image, never logged.
/// </summary>
public static class SnapshotSigningKey
{
    public const string EnvironmentVariable = "COMFYSNAP_SNAPSHOT_SIGNING_KEY";

    public const int MinimumBytes = 16;

    /// <summary>The key from <paramref name="keyFile"/> (a trailing newline ignored), else from the environment value; null when neither is set.</summary>
    public static byte[]? Load(string? keyFile, string? environmentValue)
    {
        byte[] key;
        if (!string.IsNullOrWhiteSpace(keyFile))
        {
            var bytes = File.ReadAllBytes(keyFile);
            var length = bytes.Length;
            while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r')
            {
                length--;
            }

            key = bytes[..length];
        }
        else if (!string.IsNullOrEmpty(environmentValue))
        {
            key = Encoding.UTF8.GetBytes(environmentValue);
        }
        else
        {
            return null;
        }

        return key.Length >= MinimumBytes
            ? key
            : throw new InvalidDataException($"the snapshot signing key must be at least {MinimumBytes} bytes");
    }
}
