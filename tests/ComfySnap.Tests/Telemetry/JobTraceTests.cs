using ComfySnap.Engine;
using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Worker.Support;
using ComfySnap.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ComfySnap.Tests.Telemetry;

/// <summary>
/// One job over the real RabbitMQ with the worker's OpenTelemetry switched on and in-memory
/// exporters: the trace runs from the client's send through MassTransit's consume to the job and
/// every node, and the job is counted in the worker's metrics.
/// </summary>
[Trait("Category", "Integration")]
public sealed class JobTraceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task One_job_is_one_trace_from_send_to_every_node_and_is_counted()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        await using var worker = await RabbitWorkerHarness.StartAsync(
            settings: new Dictionary<string, string?> { ["Telemetry:Enabled"] = "true" },
            configureServices: s => s
                .ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans))
                .ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics)));
        var workerId = worker.Booted!.WorkerId;
        var jobId = "trace-" + Guid.NewGuid().ToString("N")[..8];

        await worker.SendAsync(new RunWorkflow(jobId, EngineHarness.Workflow("image-ops.json"), CachePolicy: CachePolicy.Bypass));
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(jobId, Timeout));

        // Spans are exported when they end; MassTransit's consume span ends after the job's answer is sent.
        var job = await WaitForAsync(() => Snapshot(spans).FirstOrDefault(a => a.OperationName == WorkerActivities.Job && Tag(a, "comfysnap.job.id") == jobId));
        var trace = await WaitForAsync(() =>
        {
            // Spans arrive as they end: MassTransit's receive span (the consume's parent) after the
            // consume, the client's send at the broker's confirm. Wait for the whole chain to the root.
            var all = Snapshot(spans).Where(a => a.TraceId == job.TraceId).ToList();
            var byId = all.ToDictionary(a => a.SpanId);
            return Ancestors(job, byId).LastOrDefault() is { ParentSpanId: var root } && root == default && all.Any(a => a.OperationName == WorkerActivities.Execute) ? all : null;
        });
        var byId = trace.ToDictionary(a => a.SpanId);

        var consume = byId[job.ParentSpanId];
        Assert.Equal(WorkerActivities.MassTransitSourceName, consume.Source.Name);
        Assert.Equal(ActivityKind.Consumer, consume.Kind);
        var chain = Ancestors(consume, byId).ToList();
        var send = chain.LastOrDefault();
        Assert.True(send is not null && send.Kind == ActivityKind.Producer && send.ParentSpanId == default,
            "consume's ancestors: " + string.Join(" <- ", chain.Select(a => $"{a.Kind} {a.DisplayName}")) + "; trace: " + string.Join(", ", trace.Select(a => $"{a.Kind} {a.DisplayName} {a.SpanId}<-{a.ParentSpanId}")));
        Assert.Equal(WorkerActivities.MassTransitSourceName, send!.Source.Name);

        var children = trace.Where(a => a.ParentSpanId == job.SpanId).Select(a => a.OperationName).ToList();
        Assert.Contains(WorkerActivities.Validate, children);
        Assert.Contains(WorkerActivities.Execute, children);
        Assert.Contains(WorkerActivities.CacheStore, children);
        Assert.Contains(WorkerActivities.PublishResult, children);
        var execute = trace.Single(a => a.OperationName == WorkerActivities.Execute);
        var nodes = trace.Where(a => a.OperationName == EngineActivities.Node).ToList();
        Assert.Equal(5, nodes.Count); // image-ops.json's five nodes
        Assert.All(nodes, n => Assert.Equal(execute.SpanId, n.ParentSpanId));
        Assert.All(nodes, n => Assert.True(n.StartTimeUtc >= job.StartTimeUtc && n.StartTimeUtc + n.Duration <= job.StartTimeUtc + job.Duration));
        Assert.Contains(nodes, n => Tag(n, "comfysnap.node.class_type") == "SaveImage");

        // The boot is a trace of its own: a root span with one child per phase of WorkerBooted.
        var boots = Snapshot(spans).Where(a => a.OperationName == WorkerActivities.Boot && Tag(a, "comfysnap.worker.id") == workerId).ToList();
        Assert.True(boots.Count == 1, string.Join("; ", Snapshot(spans).Where(a => a.ParentSpanId == default).Select(a => $"{a.Source.Name}/{a.OperationName}/{Tag(a, "comfysnap.worker.id")}")));
        var boot = boots[0];
        Assert.Equal(default, boot.ParentSpanId);
        var phases = Snapshot(spans).Where(a => a.ParentSpanId == boot.SpanId).ToList();
        Assert.Equal(worker.Booted.Phases.Select(p => p.Name), phases.OrderBy(p => p.StartTimeUtc).Select(p => p.OperationName));
        Assert.Equal("ColdBoot", Tag(boot, "comfysnap.boot.mode"));

        // Metrics of this worker's meter (every host creates its own, tagged with its worker id).
        Assert.True(worker.Services!.GetRequiredService<MeterProvider>().ForceFlush(10_000));
        var mine = Snapshot(metrics).Where(m => m.MeterName == WorkerMetrics.MeterName && m.MeterTags?.Any(t => t.Key == "comfysnap.worker.id" && (string?)t.Value == workerId) == true).ToList();
        Assert.Equal(1, Sum(mine, "comfysnap.jobs", ("outcome", "completed")));
        Assert.Equal(1, Count(mine, "comfysnap.job.duration"));
        Assert.Equal(1, Count(mine, "comfysnap.job.queue_wait"));
        Assert.Equal(1, Count(mine, "comfysnap.boot.duration"));
    }

    private static List<T> Snapshot<T>(List<T> items)
    {
        // The exporters append from their own threads; copying can meet a resize, so retry.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return [.. items];
            }
            catch (Exception) when (attempt < 5)
            {
                Thread.Sleep(10);
            }
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("telemetry did not arrive");
    }

    private static IEnumerable<Activity> Ancestors(Activity span, Dictionary<ActivitySpanId, Activity> byId)
    {
        for (var at = span; byId.TryGetValue(at.ParentSpanId, out var parent); at = parent)
        {
            yield return parent;
        }
    }

    private static string? Tag(Activity activity, string key) => activity.GetTagItem(key)?.ToString();

    private static long Sum(IEnumerable<Metric> metrics, string name, (string Key, string Value) tag)
    {
        long total = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var t in point.Tags)
                {
                    if (t.Key == tag.Key && (string?)t.Value == tag.Value)
                    {
                        total += point.GetSumLong();
                    }
                }
            }
        }

        return total;
    }

    private static long Count(IEnumerable<Metric> metrics, string name)
    {
        long total = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                total += point.GetHistogramCount();
            }
        }

        return total;
    }
}
