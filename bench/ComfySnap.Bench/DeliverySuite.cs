using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ComfySnap.Bench.Bus;
using ComfySnap.Contracts;
using ComfySnap.TestSupport;
using Microsoft.AspNetCore.Http;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>
/// `delivery`: what each way of getting a job's outputs to the user costs per job, side by side in
/// one run on one `serve` worker: the same cheap job (a 64x64 image, SaveImage, output cache
/// bypassed so every job takes the same path) answered inline, through the Redis claim check (the
/// job's inline limit below the file's size), written to the object store (s3rver), and posted to a
/// real loopback webhook receiver (time to its POST); the bus floor (a consumer that answers at
/// once) beside them. The modes take turns job by job, so load on the machine hits them alike.
/// </summary>
public sealed class DeliverySuite(BenchContext context, int jobs)
{
    public const string InlineMode = "inline";
    public const string ClaimCheckMode = "claim_check";
    public const string ObjectStoreMode = "object_store";
    public const string WebhookMode = "webhook";

    public static readonly string[] Modes = [InlineMode, ClaimCheckMode, ObjectStoreMode, WebhookMode];

    private const string Workflow = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":64,"height":64,"batch_size":1,"color":16744448}},
         "2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"delivery"}}}
        """;

    private const int WarmUpRounds = 5;

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        var loadBefore = PageCacheState.LoadAverage();
        await using var buckets = new TestBuckets();
        var bucket = await buckets.CreateAsync("bench-delivery");
        var posts = new ConcurrentDictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
        await using var receiver = await LoopbackHttpServer.StartAsync((http, request) =>
        {
            // Stamped before answering: the moment the worker's POST is in the receiver's hands.
            var at = Stopwatch.GetTimestamp();
            if (request.Headers.TryGetValue("X-ComfySnap-Delivery", out var delivery))
            {
                posts.GetOrAdd(delivery, _ => NewPost()).TrySetResult(at);
            }

            http.Response.StatusCode = StatusCodes.Status200OK;
            return Task.CompletedTask;
        });
        var settings = TestEnvironment.ObjectStoreSettings();
        settings["Webhooks:SigningKey"] = $"bench-{Guid.NewGuid():N}";
        settings["Webhooks:AllowPrivateNetworks"] = "true";
        await using var bench = await BusBench.StartAsync(context, workerCount: 1, ct, settings);

        var samples = Modes.ToDictionary(m => m, _ => new List<Sample>(), StringComparer.Ordinal);
        for (var round = 0; round < WarmUpRounds + jobs; round++)
        {
            foreach (var mode in Modes)
            {
                var sample = await OneJobAsync(bench, mode, $"delivery-{bench.Id}-{mode}-{round}", bucket, receiver.BaseUrl, posts, ct);
                if (round >= WarmUpRounds)
                {
                    samples[mode].Add(sample);
                }
            }
        }

        AnsiConsole.MarkupLineInterpolated($"  {jobs} jobs per mode ({string.Join(", ", Modes)}), interleaved");
        bench.EnsureWorkersAlive();
        Check(samples, bucket, jobs, await buckets.KeysAsync(bucket));
        var floor = await BusFloor.MeasureAsync(jobs, quorum: true, ct);
        var loadAfter = PageCacheState.LoadAverage();

        var roundTrips = Modes.ToDictionary(m => m, m => Stats.Of([.. samples[m].Select(s => s.RoundTripMs)]), StringComparer.Ordinal);
        var webhook = Stats.Of([.. samples[WebhookMode].Select(s => s.PostMs!.Value)]);
        var values = new Dictionary<string, object?>
        {
            ["inline_ms"] = roundTrips[InlineMode].Median,
            ["claim_check_ms"] = roundTrips[ClaimCheckMode].Median,
            ["object_store_ms"] = roundTrips[ObjectStoreMode].Median,
            ["webhook_ms"] = webhook.Median,
            ["bus_floor_ms"] = floor.Median,
        };
        foreach (var mode in Modes.Where(m => m != WebhookMode))
        {
            values[$"{mode}_ms_p99"] = roundTrips[mode].P99;
            values[$"{mode}_round_trip_ms"] = roundTrips[mode];
        }

        values["webhook_ms_p99"] = webhook.P99;
        values["webhook_post_ms"] = webhook;
        // The webhook job's own answer on the bus (the POST leaves only after it was acknowledged).
        values["webhook_answer_ms"] = roundTrips[WebhookMode];
        values["bus_floor_ms_p99"] = floor.P99;
        values["bus_floor_round_trip_ms"] = floor;
        // Worker side, taking the job to publishing its result: where the object store's upload shows.
        foreach (var mode in Modes)
        {
            values[$"{mode}_worker_total_ms"] = Stats.Of([.. samples[mode].Select(s => s.Completed.Timings.TotalMs)]);
        }

        values["output_bytes"] = samples[InlineMode][0].Completed.Outputs[0].Size;
        values["jobs_per_mode"] = jobs;
        values["load_avg_before"] = loadBefore;
        values["load_avg_after"] = loadAfter;
        return values;
    }

    private static TaskCompletionSource<long> NewPost() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task<Sample> OneJobAsync(
        BusBench bench, string mode, string jobId, string bucket, string receiverUrl, ConcurrentDictionary<string, TaskCompletionSource<long>> posts, CancellationToken ct)
    {
        var job = new RunWorkflow(jobId, Workflow, CachePolicy: CachePolicy.Bypass);
        job = mode switch
        {
            // The default delivery: the file is far below the worker's inline limit.
            InlineMode => job,
            // The same file over the job's inline limit: a Redis key in the answer.
            ClaimCheckMode => job with { Delivery = new OutputDelivery(MaxInlineBytes: 0) },
            ObjectStoreMode => job with { Delivery = new OutputDelivery(Bucket: bucket, KeyPrefix: "bench/") },
            WebhookMode => job with { Webhook = new JobWebhook($"{receiverUrl}/hook") },
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
        var post = mode == WebhookMode ? posts.GetOrAdd($"{jobId}:completed", _ => NewPost()) : null;
        var start = Stopwatch.GetTimestamp();
        var answer = await bench.RoundTripAsync(job, TimeSpan.FromSeconds(60), ct);
        var completed = answer.Completed
            ?? throw new InvalidOperationException($"{mode} job {jobId} failed: {answer.Failed?.Kind} {answer.Failed?.Message}");
        double? postMs = null;
        if (post is not null)
        {
            var at = await post.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            postMs = Stopwatch.GetElapsedTime(start, at).TotalMilliseconds;
        }

        return new Sample(Stopwatch.GetElapsedTime(start, answer.ReceivedAt).TotalMilliseconds, postMs, completed);
    }

    /// <summary>Every mode delivered the way it was meant to: a timing of the wrong path would be worthless.</summary>
    private static void Check(Dictionary<string, List<Sample>> samples, string bucket, int jobs, IReadOnlyList<string> keys)
    {
        static IEnumerable<OutputFile> Files(IEnumerable<Sample> s) => s.SelectMany(x => x.Completed.Outputs);
        if (Files(samples[InlineMode]).Concat(Files(samples[WebhookMode])).Any(f => f.InlineBytes is null))
        {
            throw new InvalidOperationException("an inline or webhook job's output was not inline");
        }

        if (Files(samples[ClaimCheckMode]).Any(f => f.RedisKey is null || f.InlineBytes is not null))
        {
            throw new InvalidOperationException("a claim-check job's output was not a Redis key");
        }

        if (Files(samples[ObjectStoreMode]).Any(f => f.ObjectUri?.StartsWith($"s3://{bucket}/bench/", StringComparison.Ordinal) != true))
        {
            throw new InvalidOperationException("an object-store job's output was not an object in the bench bucket");
        }

        if (samples.Values.SelectMany(s => s).Any(s => s.Completed.FromCache))
        {
            throw new InvalidOperationException("a job was answered from the output cache (the suite bypasses it)");
        }

        // The warm-up rounds wrote their objects too.
        if (keys.Count < jobs)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{keys.Count} object(s) in bucket {bucket}, expected at least {jobs}"));
        }
    }

    /// <summary>One measured job: send -> answer, send -> the webhook's POST (webhook mode), and the answer.</summary>
    private sealed record Sample(double RoundTripMs, double? PostMs, WorkflowCompleted Completed);
}
