using System.Net;
using ComfySnap.Worker.Outbound;

namespace ComfySnap.Tests.Outbound;

/// <summary>The SSRF guard's address classes, IPv4 and IPv6, including IPv6 spellings of IPv4 addresses.</summary>
public sealed class AddressClassifierTests
{
    [Theory]
    [InlineData("8.8.8.8", NetworkClass.Public)]
    [InlineData("1.1.1.1", NetworkClass.Public)]
    [InlineData("172.32.0.1", NetworkClass.Public)]
    [InlineData("100.128.0.1", NetworkClass.Public)]
    [InlineData("127.0.0.1", NetworkClass.Loopback)]
    [InlineData("127.255.1.2", NetworkClass.Loopback)]
    [InlineData("10.1.2.3", NetworkClass.Private)]
    [InlineData("172.16.0.1", NetworkClass.Private)]
    [InlineData("172.31.255.255", NetworkClass.Private)]
    [InlineData("192.168.1.1", NetworkClass.Private)]
    [InlineData("100.64.0.1", NetworkClass.Private)]
    [InlineData("169.254.169.254", NetworkClass.LinkLocal)]
    [InlineData("0.0.0.0", NetworkClass.Unspecified)]
    [InlineData("224.0.0.1", NetworkClass.Multicast)]
    [InlineData("255.255.255.255", NetworkClass.Reserved)]
    [InlineData("192.0.2.10", NetworkClass.Reserved)]
    [InlineData("198.18.0.1", NetworkClass.Reserved)]
    [InlineData("2606:4700:4700::1111", NetworkClass.Public)]
    [InlineData("::1", NetworkClass.Loopback)]
    [InlineData("::", NetworkClass.Unspecified)]
    [InlineData("fe80::1", NetworkClass.LinkLocal)]
    [InlineData("febf::1", NetworkClass.LinkLocal)]
    [InlineData("fec0::1", NetworkClass.Private)]
    [InlineData("fc00::1", NetworkClass.Private)]
    [InlineData("fd12:3456::1", NetworkClass.Private)]
    [InlineData("ff02::1", NetworkClass.Multicast)]
    [InlineData("2001:db8::1", NetworkClass.Reserved)]
    [InlineData("::ffff:127.0.0.1", NetworkClass.Loopback)]
    [InlineData("::ffff:10.0.0.1", NetworkClass.Private)]
    [InlineData("::ffff:169.254.169.254", NetworkClass.LinkLocal)]
    [InlineData("::ffff:8.8.8.8", NetworkClass.Public)]
    [InlineData("64:ff9b::7f00:1", NetworkClass.Loopback)]
    [InlineData("64:ff9b::808:808", NetworkClass.Public)]
    [InlineData("2002:c0a8:0101::1", NetworkClass.Private)]
    [InlineData("2002:0808:0808::1", NetworkClass.Public)]
    [InlineData("::7f00:1", NetworkClass.Reserved)]
    public void Classifies(string address, NetworkClass expected) =>
        Assert.Equal(expected, AddressClassifier.Classify(IPAddress.Parse(address)));

    [Fact]
    public void Public_only_refuses_every_non_public_address_and_says_why()
    {
        var policy = OutboundPolicy.PublicOnly;
        Assert.Null(policy.Refusal(IPAddress.Parse("8.8.8.8")));
        Assert.Contains("loopback", policy.Refusal(IPAddress.Parse("::ffff:127.0.0.1")), StringComparison.Ordinal);
        Assert.Contains("linklocal", policy.Refusal(IPAddress.Parse("169.254.169.254")), StringComparison.Ordinal);
        Assert.NotNull(policy.Refusal(IPAddress.Parse("::")));
    }

    [Fact]
    public void Allowed_networks_open_only_their_ranges_also_for_mapped_addresses()
    {
        var policy = OutboundPolicy.From(false, ["10.1.2.0/24", "fd00::/8"]);
        Assert.Null(policy.Refusal(IPAddress.Parse("10.1.2.7")));
        Assert.Null(policy.Refusal(IPAddress.Parse("::ffff:10.1.2.7")));
        Assert.Null(policy.Refusal(IPAddress.Parse("fd00::5")));
        Assert.NotNull(policy.Refusal(IPAddress.Parse("10.1.3.7")));
        Assert.NotNull(policy.Refusal(IPAddress.Parse("127.0.0.1")));
        Assert.Null(OutboundPolicy.From(true, []).Refusal(IPAddress.Parse("127.0.0.1")));
        Assert.Throws<FormatException>(() => OutboundPolicy.From(false, ["10.0.0.0/33"]));
    }
}
