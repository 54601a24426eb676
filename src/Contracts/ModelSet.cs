using System.Security.Cryptography;
using System.Text;

namespace ComfySnap.Contracts;

/// <summary>
/// The model files a job needs, as "kind/name" (e.g. "checkpoints/v1-5.safetensors"), and their
/// stable key: the routing key of the job's model queue. Equal sets have equal keys whatever the
/// order or duplicates; build it with <see cref="Of"/> so every publisher computes the same key.
/// </summary>
/// <param name="Key">"ms-" and the first 16 hex digits of SHA-256 over the sorted, distinct models joined by newlines.</param>
/// <param name="Models">The models, sorted (ordinal) and distinct.</param>
public sealed record ModelSet(string Key, IReadOnlyList<string> Models)
{
    /// <summary>The set of <paramref name="models"/> ("kind/name"; backslashes count as slashes); null when there are none.</summary>
    public static ModelSet? Of(IEnumerable<string> models)
    {
        var sorted = models.Select(m => m.Replace('\\', '/')).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', sorted)));
        return new ModelSet("ms-" + Convert.ToHexStringLower(hash)[..16], sorted);
    }

    /// <summary>"kind/name" of one model file, as <see cref="Models"/> lists it.</summary>
    public static string ModelName(string kind, string name) => $"{kind}/{name.Replace('\\', '/')}";
}
