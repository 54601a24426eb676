using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Redis;
using ComfySnap.TestSupport;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Jobs.Leases;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Cluster;

/// <summary>
/// The worker's Redis lease store through the Sentinels (Cache:Redis with serviceName=), with
/// Jobs:LeaseReplicas 1: a lease and an answer written before a SIGKILL of the primary are on the
/// promoted replica, so the JobId still has one run and one answer.
/// </summary>
[Trait("Category", "Integration")]
[Collection(ClusterCollection.Name)]
public sealed class SentinelFailoverTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromMinutes(2);
    private readonly string _prefix = $"comfysnap-test-sentinel-{Guid.NewGuid():N}:";

    [Fact]
    public async Task A_failover_keeps_the_lease_and_the_answer_so_each_JobId_has_one_answer()
    {
        var cluster = fixture.Cluster;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var options = Options.Create(new CacheOptions { KeyPrefix = _prefix });
        await using var cache = new RedisOutputCache(Options.Create(new RedisConnectionOptions { Redis = cluster.RedisConfiguration }), NullLogger<RedisOutputCache>.Instance);
        await cache.StartAsync(cts.Token);
        var results = new ResultStore(cache, options, TimeProvider.System);
        var acknowledgements = new ReplicaAcknowledgement(NullLogger<ReplicaAcknowledgement>.Instance);
        var leases = new RedisJobLeases(cache, results, options, Options.Create(new JobOptions { LeaseReplicas = 1 }), acknowledgements, NullLogger<RedisJobLeases>.Instance);
        var (running, answered) = ($"running-{Guid.NewGuid():N}", $"answered-{Guid.NewGuid():N}");

        Assert.Equal(LeaseAttempt.Acquired, await leases.TryAcquireAsync(running, "a/1", LeaseTtl, cts.Token));
        Assert.Equal(LeaseAttempt.Acquired, await leases.TryAcquireAsync(answered, "a/1", LeaseTtl, cts.Token));
        Assert.Equal(AnswerCommitKind.Stored, (await leases.CommitAnswerAsync(answered, "a/1", LeaseTtl, Answer(answered, "first.png"), cts.Token)).Kind);
        Assert.Equal(1, await acknowledgements.WaitAsync(cache.Connection!, leases.Key(running), 1, TimeSpan.FromSeconds(1), cts.Token));

        var primary = await cluster.RedisPrimaryPortAsync(cts.Token) ?? throw new InvalidOperationException("no primary");
        var clock = Stopwatch.StartNew();
        await cluster.KillRedisNodeAsync(cluster.RedisNodeOf(primary), cts.Token);
        try
        {
            int? promoted;
            while ((promoted = await cluster.RedisPrimaryPortAsync(cts.Token)) == primary)
            {
                await Task.Delay(100, cts.Token);
            }

            var promotedAfter = clock.ElapsedMilliseconds;
            LeaseAttempt second;
            while ((second = await leases.TryAcquireAsync(running, "b/2", LeaseTtl, cts.Token)) == LeaseAttempt.Unavailable)
            {
                await Task.Delay(100, cts.Token);
            }

            output.WriteLine($"Sentinels promoted 127.0.0.1:{promoted} {promotedAfter} ms after SIGKILL of the primary; the lease store answered again after {clock.ElapsedMilliseconds} ms");

            // The run's lease survived: a second delivery waits, and cannot store an answer.
            Assert.NotEqual(primary, promoted);
            Assert.Equal(LeaseAttempt.HeldByOther, second);
            Assert.Equal(AnswerCommitKind.Fenced, (await leases.CommitAnswerAsync(running, "b/2", LeaseTtl, Answer(running, "second.png"), cts.Token)).Kind);
            Assert.Equal(AnswerCommitKind.Stored, (await leases.CommitAnswerAsync(running, "a/1", LeaseTtl, Answer(running, "first.png"), cts.Token)).Kind);

            // Answers stored before and after the failover win over any later run.
            foreach (var jobId in new[] { running, answered })
            {
                var late = await leases.CommitAnswerAsync(jobId, "c/3", LeaseTtl, Answer(jobId, "late.png"), cts.Token);
                Assert.Equal(AnswerCommitKind.AlreadyAnswered, late.Kind);
                Assert.Equal("first.png", System.Text.Json.JsonSerializer.Deserialize<WorkflowCompleted>(late.StoredAnswer!)!.Outputs.Single().FileName);
            }
        }
        finally
        {
            await cluster.StartRedisNodeAsync(cluster.RedisNodeOf(primary), cts.Token);
        }
    }

    private static byte[] Answer(string jobId, string file) => ResultStore.SerializeCompletedJob(
        new WorkflowCompleted(jobId, null, [new OutputFile("1", file, "image/png", 1, new string('0', 64), null, null, null)], FromCache: false, new JobTimings(jobId, 0, 0, [], 0, 0, 0, 0)));
}
