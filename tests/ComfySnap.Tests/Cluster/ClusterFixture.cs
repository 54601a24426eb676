using ComfySnap.TestSupport;

namespace ComfySnap.Tests.Cluster;

/// <summary>One private cluster (three broker nodes, Redis primary + replica, three Sentinels) for every cluster test: starting it takes a minute or more.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private ClusterServices? _cluster;

    public ClusterServices Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        _cluster = await ClusterServices.StartAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>The cluster tests share one <see cref="ClusterFixture"/> and run one after another (each kills a node and starts it again).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
