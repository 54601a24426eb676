using ComfySnap.Diffusion.Imaging;
using ComfySnap.Gateway.Bus;
using ComfySnap.Gateway.State;
using ComfySnap.Gateway.Uploads;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;

namespace ComfySnap.Tests.Gateway;

/// <summary>The gateway reads the workers' settings without their assembly: its defaults must stay theirs.</summary>
public sealed class GatewayDefaultsTests
{
    [Fact]
    public void Queue_key_prefix_ttl_and_decode_bound_match_the_workers()
    {
        Assert.Equal(BusOptions.SectionName, JobQueueOptions.SectionName);
        Assert.Equal(new BusOptions().QueueName, new JobQueueOptions().QueueName);
        Assert.Equal(CacheOptions.SectionName, RedisStateOptions.SectionName);
        Assert.Equal(new CacheOptions().KeyPrefix, new RedisStateOptions().KeyPrefix);
        Assert.Equal(new CacheOptions().Ttl, new RedisStateOptions().Ttl);
        Assert.Equal(PngCodec.MaxDecodeSide, MaskComposer.MaxDecodeSide);
    }
}
