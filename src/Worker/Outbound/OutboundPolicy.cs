using System.Net;

namespace ComfySnap.Worker.Outbound;

/// <summary>
/// Which addresses an outbound request (URL inputs, model downloads, webhooks) may connect to:
/// public addresses always; loopback, link-local, private and special ranges only when
/// <see cref="AllowPrivateNetworks"/> is set or an entry of <see cref="AllowedNetworks"/> contains them.
/// </summary>
/// <param name="AllowPrivateNetworks">Every address allowed (a trusted, internal deployment; tests on loopback).</param>
/// <param name="AllowedNetworks">CIDR ranges allowed although not public (e.g. <c>10.1.2.0/24</c> for an internal file server).</param>
public sealed record OutboundPolicy(bool AllowPrivateNetworks, IReadOnlyList<IPNetwork> AllowedNetworks)
{
    /// <summary>Public addresses only.</summary>
    public static OutboundPolicy PublicOnly { get; } = new(false, []);

    /// <summary>The policy of an options section: its flag and CIDR strings (an invalid CIDR is a configuration error).</summary>
    public static OutboundPolicy From(bool allowPrivateNetworks, IEnumerable<string> allowedNetworks) =>
        new(allowPrivateNetworks, [.. allowedNetworks.Select(ParseNetwork)]);

    /// <summary>Null when <paramref name="address"/> may be connected to, else why not.</summary>
    public string? Refusal(IPAddress address)
    {
        var kind = AddressClassifier.Classify(address);
        if (kind == NetworkClass.Public || AllowPrivateNetworks)
        {
            return null;
        }

        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return AllowedNetworks.Any(n => n.Contains(plain)) ? null : $"{address} is a {kind.ToString().ToLowerInvariant()} address";
    }

    private static IPNetwork ParseNetwork(string text) =>
        IPNetwork.TryParse(text.Trim(), out var network) ? network : throw new FormatException($"'{text}' is not a CIDR range (e.g. 10.0.0.0/8)");
}
