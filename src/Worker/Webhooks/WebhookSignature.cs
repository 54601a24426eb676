using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ComfySnap.Worker.Webhooks;

/// <summary>
/// The <c>X-ComfySnap-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;." + body&gt;</c>.
/// The timestamp is signed with the body, so a receiver that also checks its age refuses replays.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-ComfySnap-Signature";

    public static string Compute(byte[] key, long unixSeconds, ReadOnlySpan<byte> body) =>
        $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(Mac(key, unixSeconds, body))}";

    /// <summary>True when <paramref name="header"/> signs <paramref name="body"/> with <paramref name="key"/> and its time is within <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    public static bool Verify(string header, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(header);
        long? time = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal) && long.TryParse(part[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                time = t;
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal) && part.Length == 3 + 64)
            {
                try
                {
                    signatures.Add(Convert.FromHexString(part.AsSpan(3)));
                }
                catch (FormatException)
                {
                    // not hex: not a signature
                }
            }
        }

        if (time is not { } signedAt || Math.Abs(now.ToUnixTimeSeconds() - signedAt) > tolerance.TotalSeconds)
        {
            return false;
        }

        var expected = Mac(key, signedAt, body);
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(s, expected));
    }

    private static byte[] Mac(byte[] key, long unixSeconds, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + "."));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
