using ComfySnap.Worker.Models;

namespace ComfySnap.Tests.ModelUrls;

/// <summary>Which cached models go to make room: least recently used first, never one in use.</summary>
public sealed class CacheEvictionTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly CachedModelFile[] Files =
    [
        new("b", 40, Start.AddMinutes(2)),
        new("a", 40, Start.AddMinutes(1)),
        new("c", 40, Start.AddMinutes(3)),
    ];

    [Fact]
    public void Least_recently_used_go_first_until_the_new_file_fits()
    {
        var removed = CacheEviction.Evict(Files, incomingBytes: 50, capBytes: 100, _ => true);

        Assert.Equal(["a", "b"], removed.Select(f => f.Path));
    }

    [Fact]
    public void A_file_in_use_stays_and_the_next_one_goes_instead()
    {
        var removed = CacheEviction.Evict(Files, incomingBytes: 10, capBytes: 100, f => f.Path != "a");

        Assert.Equal(["b"], removed.Select(f => f.Path));
    }

    [Fact]
    public void Nothing_goes_when_it_fits_or_there_is_no_cap()
    {
        Assert.Empty(CacheEviction.Evict(Files, incomingBytes: 0, capBytes: 120, _ => true));
        Assert.Empty(CacheEviction.Evict(Files, incomingBytes: 1000, capBytes: 0, _ => true));
    }
}
