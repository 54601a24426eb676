using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.Worker;

/// <summary>The in-process cache's bound and expiry, and the job registry's cancels.</summary>
public sealed class CacheAndRegistryTests
{
    [Fact]
    public async Task In_process_cache_evicts_least_recently_used_beyond_its_bound()
    {
        var cache = new InProcessOutputCache(Options.Create(new CacheOptions { InProcessMaxBytes = 3000 }), TimeProvider.System);
        await cache.SetAsync("a", new byte[1000], TimeSpan.FromMinutes(1), default);
        await cache.SetAsync("b", new byte[1000], TimeSpan.FromMinutes(1), default);
        Assert.NotNull(await cache.GetAsync("a", default));
        await cache.SetAsync("c", new byte[1500], TimeSpan.FromMinutes(1), default);
        Assert.Null(await cache.GetAsync("b", default));
        Assert.NotNull(await cache.GetAsync("a", default));
        Assert.True(cache.Bytes <= 3000);
        Assert.False(await cache.SetAsync("huge", new byte[5000], TimeSpan.FromMinutes(1), default));
    }

    [Fact]
    public async Task In_process_cache_entries_expire()
    {
        var cache = new InProcessOutputCache(Options.Create(new CacheOptions()), TimeProvider.System);
        await cache.SetAsync("k", new byte[] { 1 }, TimeSpan.FromMilliseconds(1), default);
        await Task.Delay(20);
        Assert.Null(await cache.GetAsync("k", default));
    }

    [Fact]
    public void Registry_cancels_only_the_named_job_and_remembers_early_cancels()
    {
        var registry = new JobRegistry(TimeProvider.System);
        using var a = registry.Start("a");
        using var b = registry.Start("b");
        Assert.True(registry.Cancel("a"));
        Assert.True(a.IsCancellationRequested);
        Assert.False(b.IsCancellationRequested);
        Assert.False(registry.Cancel("later"));
        Assert.True(registry.TakePendingCancel("later"));
        Assert.False(registry.TakePendingCancel("later"));
    }
}
