using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Redis;
using ComfySnap.TestSupport;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Jobs.Leases;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Tests.Worker;

/// <summary>The Lua fencing of a job's answer and of its lease renewal, against the real Redis (a key prefix of its own).</summary>
[Trait("Category", "Integration")]
public sealed class RedisLeaseFencingTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private readonly string _prefix = $"comfysnap-test-fence-{Guid.NewGuid():N}:";
    private readonly string _jobId = $"fence-{Guid.NewGuid():N}";

    private string LeaseKey => JobKeys.Lease(_prefix, _jobId);

    private string AnswerKey => JobKeys.Answer(_prefix, _jobId);

    [Fact]
    public async Task The_lease_holder_stores_its_answer()
    {
        await using var store = await OpenAsync(TestEnvironment.RedisEndpoint);
        var (leases, results, db) = (store.Leases, store.Results, store.Db);
        Assert.Equal(LeaseAttempt.Acquired, await leases.TryAcquireAsync(_jobId, "a/1", Ttl, CancellationToken.None));

        var commit = await leases.CommitAnswerAsync(_jobId, "a/1", Ttl, Answer("mine"), CancellationToken.None);

        Assert.Equal(AnswerCommitKind.Stored, commit.Kind);
        Assert.Equal("mine", FileOf(await results.GetCompletedJobAsync(_jobId, CancellationToken.None)));
        Assert.InRange((await db.KeyTimeToLiveAsync(AnswerKey))!.Value, TimeSpan.FromHours(23), TimeSpan.FromHours(24)); // Cache:Ttl
    }

    [Fact]
    public async Task A_run_whose_lease_another_run_holds_is_fenced_and_stores_nothing()
    {
        await using var store = await OpenAsync(TestEnvironment.RedisEndpoint);
        var (leases, results, db) = (store.Leases, store.Results, store.Db);
        await db.StringSetAsync(LeaseKey, "b/2", Ttl);

        var commit = await leases.CommitAnswerAsync(_jobId, "a/1", Ttl, Answer("stale"), CancellationToken.None);

        Assert.Equal(AnswerCommitKind.Fenced, commit.Kind);
        Assert.Equal("b/2", commit.Holder);
        Assert.False(await db.KeyExistsAsync(AnswerKey));
        Assert.Equal("b/2", (string?)await db.StringGetAsync(LeaseKey));
    }

    [Fact]
    public async Task A_lease_that_expired_unclaimed_is_retaken_and_the_answer_stored()
    {
        await using var store = await OpenAsync(TestEnvironment.RedisEndpoint);
        var (leases, results, db) = (store.Leases, store.Results, store.Db);
        var commit = await leases.CommitAnswerAsync(_jobId, "a/1", Ttl, Answer("late"), CancellationToken.None);

        Assert.Equal(AnswerCommitKind.Retaken, commit.Kind);
        Assert.Equal("late", FileOf(await results.GetCompletedJobAsync(_jobId, CancellationToken.None)));
        Assert.Equal("a/1", (string?)await db.StringGetAsync(LeaseKey));
        await leases.ReleaseAsync(_jobId, "a/1", CancellationToken.None);
        Assert.False(await db.KeyExistsAsync(LeaseKey));
    }

    [Fact]
    public async Task An_answer_already_stored_is_returned_and_kept_even_to_the_lease_holder()
    {
        await using var store = await OpenAsync(TestEnvironment.RedisEndpoint);
        var (leases, results, db) = (store.Leases, store.Results, store.Db);
        await db.StringSetAsync(LeaseKey, "a/1", Ttl);
        await db.StringSetAsync(AnswerKey, ResultStore.SerializeCompletedJob(Completed("first")), Ttl);

        var commit = await leases.CommitAnswerAsync(_jobId, "a/1", Ttl, Answer("second"), CancellationToken.None);

        Assert.Equal(AnswerCommitKind.AlreadyAnswered, commit.Kind);
        Assert.Equal("first", FileOf(ResultStore.ReadCompletedJob(commit.StoredAnswer!)));
        Assert.Equal("first", FileOf(await results.GetCompletedJobAsync(_jobId, CancellationToken.None)));
    }

    [Fact]
    public async Task Renewal_extends_its_own_lease_and_names_another_holder()
    {
        await using var store = await OpenAsync(TestEnvironment.RedisEndpoint);
        var (leases, results, db) = (store.Leases, store.Results, store.Db);
        await db.StringSetAsync(LeaseKey, "a/1", TimeSpan.FromSeconds(5));
        Assert.Equal(LeaseRenewalKind.Renewed, (await leases.RenewAsync(_jobId, "a/1", Ttl, CancellationToken.None)).Kind);
        Assert.True((await db.KeyTimeToLiveAsync(LeaseKey))!.Value > TimeSpan.FromSeconds(20));

        await db.StringSetAsync(LeaseKey, "b/2", Ttl);
        var renewal = await leases.RenewAsync(_jobId, "a/1", Ttl, CancellationToken.None);
        Assert.Equal(new LeaseRenewal(LeaseRenewalKind.TakenByOther, "b/2"), renewal);
        Assert.True(renewal.IsFenced);
        Assert.Equal("b/2", (string?)await db.StringGetAsync(LeaseKey));
    }

    [Fact]
    public async Task Renewal_retakes_an_expired_lease_unless_the_job_was_answered_meanwhile()
    {
        await using var store = await OpenAsync(TestEnvironment.RedisEndpoint);
        var (leases, results, db) = (store.Leases, store.Results, store.Db);
        var renewal = await leases.RenewAsync(_jobId, "a/1", Ttl, CancellationToken.None);
        Assert.Equal(LeaseRenewalKind.Retaken, renewal.Kind);
        Assert.False(renewal.IsFenced);
        Assert.Equal("a/1", (string?)await db.StringGetAsync(LeaseKey));

        await db.KeyDeleteAsync(LeaseKey);
        await db.StringSetAsync(AnswerKey, ResultStore.SerializeCompletedJob(Completed("other")), Ttl);
        var answered = await leases.RenewAsync(_jobId, "a/1", Ttl, CancellationToken.None);
        Assert.Equal(LeaseRenewalKind.Answered, answered.Kind);
        Assert.True(answered.IsFenced);
        Assert.False(await db.KeyExistsAsync(LeaseKey));
    }

    [Fact]
    public async Task While_Redis_is_unreachable_commit_and_renewal_say_so()
    {
        // A worker that lost Redis after its boot (one that cannot reach it at boot stops there).
        await using var store = await Store.OpenAsync("127.0.0.1:6398", _prefix, connect: false);
        var leases = store.Leases;

        Assert.Equal(AnswerCommitKind.Unavailable, (await leases.CommitAnswerAsync(_jobId, "a/1", Ttl, Answer("x"), CancellationToken.None)).Kind);
        Assert.Equal(LeaseRenewalKind.Unavailable, (await leases.RenewAsync(_jobId, "a/1", Ttl, CancellationToken.None)).Kind);
    }

    private async Task<Store> OpenAsync(string redis) => await Store.OpenAsync(redis, _prefix);

    private WorkflowCompleted Completed(string file) =>
        new(_jobId, null, [new OutputFile("1", file, "image/png", 1, new string('0', 64), null, null, null)], FromCache: false, new JobTimings(_jobId, 0, 0, [], 0, 0, 0, 0));

    private byte[] Answer(string file) => ResultStore.SerializeCompletedJob(Completed(file));

    private static string? FileOf(WorkflowCompleted? completed) => completed?.Outputs.Single().FileName;

    /// <summary>The worker's Redis lease store and result store on one connection, plus a plain client to arrange and inspect keys.</summary>
    private sealed class Store : IAsyncDisposable
    {
        private readonly RedisOutputCache _cache;
        private readonly ConnectionMultiplexer? _client;
        private readonly string _prefix;

        private Store(RedisOutputCache cache, ConnectionMultiplexer? client, string prefix, IOptions<CacheOptions> options)
        {
            _cache = cache;
            _client = client;
            _prefix = prefix;
            Results = new ResultStore(cache, options, TimeProvider.System);
            Leases = new RedisJobLeases(cache, Results, options, Options.Create(new JobOptions()), new ReplicaAcknowledgement(NullLogger<ReplicaAcknowledgement>.Instance),
                NullLogger<RedisJobLeases>.Instance);
        }

        public ResultStore Results { get; }

        public RedisJobLeases Leases { get; }

        public IDatabase Db => _client!.GetDatabase();

        public static async Task<Store> OpenAsync(string redis, string prefix, bool connect = true)
        {
            var options = Options.Create(new CacheOptions { KeyPrefix = prefix });
            var cache = new RedisOutputCache(Options.Create(new RedisConnectionOptions { Redis = redis }), NullLogger<RedisOutputCache>.Instance);
            if (connect)
            {
                await cache.StartAsync(CancellationToken.None);
            }

            var client = redis == TestEnvironment.RedisEndpoint ? await ConnectionMultiplexer.ConnectAsync(redis) : null;
            return new Store(cache, client, prefix, options);
        }

        public async ValueTask DisposeAsync()
        {
            await _cache.DisposeAsync();
            if (_client is not null)
            {
                await _client.DisposeAsync();
                await RedisKeys.DeleteAsync(TestEnvironment.RedisEndpoint, _prefix);
            }
        }
    }
}
