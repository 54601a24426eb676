using System.Net;
using System.Net.Sockets;

namespace ComfySnap.Worker.Outbound;

/// <summary>
/// Classifies an IP address for the outbound guard. IPv6 forms that carry an IPv4 address
/// (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are classified by that IPv4
/// address, so a private target cannot hide behind an IPv6 spelling.
/// </summary>
public static class AddressClassifier
{
    public static NetworkClass Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => ClassifyV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => ClassifyV6(address),
            _ => NetworkClass.Reserved,
        };
    }

    private static NetworkClass ClassifyV4(ReadOnlySpan<byte> b) => b switch
    {
        [0, ..] => NetworkClass.Unspecified,
        [127, ..] => NetworkClass.Loopback,
        [10, ..] => NetworkClass.Private,
        [172, >= 16 and <= 31, ..] => NetworkClass.Private,
        [192, 168, ..] => NetworkClass.Private,
        [100, >= 64 and <= 127, ..] => NetworkClass.Private,
        [169, 254, ..] => NetworkClass.LinkLocal,
        [>= 224 and <= 239, ..] => NetworkClass.Multicast,
        [>= 240, ..] => NetworkClass.Reserved,
        [192, 0, 0, _] or [192, 0, 2, _] or [198, 18 or 19, ..] or [198, 51, 100, _] or [203, 0, 113, _] => NetworkClass.Reserved,
        _ => NetworkClass.Public,
    };

    private static NetworkClass ClassifyV6(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        var b = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return NetworkClass.Loopback;
        }

        if (address.Equals(IPAddress.IPv6None))
        {
            return NetworkClass.Unspecified;
        }

        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they embed.
        if (b.AsSpan(0, 12).SequenceEqual(Nat64Prefix))
        {
            return ClassifyV4(b.AsSpan(12, 4));
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return ClassifyV4(b.AsSpan(2, 4));
        }

        return b switch
        {
            [0xfe, >= 0x80 and <= 0xbf, ..] => NetworkClass.LinkLocal,
            [0xfe, >= 0xc0, ..] => NetworkClass.Private,
            [0xfc or 0xfd, ..] => NetworkClass.Private,
            [0xff, ..] => NetworkClass.Multicast,
            // ::/96 (IPv4-compatible, deprecated), 100::/64 (discard), 2001::/32 (Teredo), 2001:db8::/32 (documentation).
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ..] => NetworkClass.Reserved,
            [0x01, 0x00, 0, 0, 0, 0, 0, 0, ..] => NetworkClass.Reserved,
            [0x20, 0x01, 0x00, 0x00, ..] => NetworkClass.Reserved,
            [0x20, 0x01, 0x0d, 0xb8, ..] => NetworkClass.Reserved,
            _ => NetworkClass.Public,
        };
    }

    private static readonly byte[] Nat64Prefix = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
}
