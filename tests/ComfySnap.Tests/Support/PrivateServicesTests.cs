namespace ComfySnap.Tests.Support;

/// <summary>The private service pair never takes the shared pair's ports or node name (others' tests run there).</summary>
public sealed class PrivateServicesTests
{
    [Theory]
    [InlineData(5682, 25792, 4392, 6492, "chaos@localhost")]
    [InlineData(5792, 25792, 4392, 6390, "chaos@localhost")]
    [InlineData(5792, 25682, 4392, 6492, "chaos@localhost")]
    [InlineData(5792, 25792, 4379, 6492, "chaos@localhost")]
    [InlineData(5792, 25792, 4392, 6492, PrivateServices.SharedNodeName)]
    public void Refuses_the_shared_pair(int rabbit, int dist, int epmd, int redis, string node) =>
        Assert.Throws<ArgumentException>(() => new PrivateServices("/tmp/x", node, rabbit, dist, epmd, redis));

    [Fact]
    public void Accepts_a_pair_of_its_own() =>
        Assert.Equal("127.0.0.1:6492", new PrivateServices("/tmp/x", "chaos@localhost", 5792, 25792, 4392, 6492).RedisEndpoint);
}
