using ComfySnap.Engine;
using ComfySnap.ServiceDefaults.Telemetry;
using System.Text;
using ComfySnap.Contracts;
using ComfySnap.Tests.Snapshots;
using ComfySnap.TestSupport.Otlp;
using ComfySnap.Worker.Telemetry;

namespace ComfySnap.Tests.Telemetry;

/// <summary>
/// Issue 13: telemetry is runtime configuration. The snapshot is built with no endpoint; a `serve`
/// worker given OTEL_EXPORTER_OTLP_ENDPOINT (an OTLP/HTTP receiver in this test) restores it, and
/// the restored copy exports its boot trace, a job's spans and its metrics there under its own
/// worker id, with no service password in any of it.
/// </summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RestoredWorkerTelemetryTests(SnapshotFixture fixture)
{
    // Waits that are not the claim: a restore and a job on a loaded 2-vCPU machine.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    private const string Workflow = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":48,"height":32,"batch_size":1,"color":255}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":1,"sigma":1.0}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    [Fact]
    public async Task A_restored_worker_exports_its_boot_trace_job_spans_and_metrics_to_the_endpoint_given_at_restore()
    {
        await using var receiver = OtlpReceiver.Start();
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        var workerId = bus.Settings["Bus:WorkerId"]!;
        var settings = fixture.ServeSettings(bus.Settings);
        settings["Telemetry:Otlp:Protocol"] = "http/protobuf";
        settings["Telemetry:Otlp:MetricInterval"] = "00:00:01";

        // The standard variable, as a container would set it; `serve` hands it to the restored copy.
        await using var worker = await WorkerProcess.StartAsync(settings, workerId, Generous,
            new Dictionary<string, string> { [TelemetryOptions.StandardEndpointVariable] = receiver.Endpoint });
        var (booted, _) = await bus.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == workerId, Generous);
        Assert.True(booted.Mode == BootMode.Restored, $"expected a restore, got {booted.Mode}: {booted.FallbackReason?.Kind} {booted.FallbackReason?.Message}");
        Assert.NotNull(worker.RestoredPid); // disposing the worker kills that copy too

        var jobId = "otlp-" + Guid.NewGuid().ToString("N")[..10];
        await bus.SendAsync(new RunWorkflow(jobId, Workflow, CachePolicy: CachePolicy.Bypass));
        Assert.IsType<WorkflowCompleted>(await bus.Events.ResultAsync(jobId, Generous));

        // The job's spans: job -> execute -> one span per node, exported by the restored process.
        var trace = await receiver.WaitForAsync(r =>
        {
            var job = r.Spans.FirstOrDefault(s => s.Name == WorkerActivities.Job && s.Tag("comfysnap.job.id") == jobId);
            var spans = job is null ? [] : r.Spans.Where(s => s.TraceId == job.TraceId).ToList();
            return spans.Count(IsNode) == 3 ? spans : null;
        }, Generous, $"the spans of job {jobId}");
        var jobSpan = trace.Single(s => s.Name == WorkerActivities.Job);
        var execute = trace.Single(s => s.Name == WorkerActivities.Execute);
        Assert.Equal(jobSpan.SpanId, execute.ParentSpanId);
        Assert.All(trace.Where(IsNode), n => Assert.Equal(execute.SpanId, n.ParentSpanId));
        Assert.Contains(trace, s => s.Name == "node 2 ImageBlur" && s.Tag("comfysnap.node.class_type") == "ImageBlur");
        // MassTransit's consume span is the job's parent: the trace context came through the message.
        Assert.Contains(trace, s => s.SpanId == jobSpan.ParentSpanId && s.Scope == WorkerActivities.MassTransitSourceName);
        // The resource names this worker, not the snapshot's prepared process (whose cached pid every restored copy shares).
        Assert.Equal(workerId, jobSpan.Resource["service.instance.id"]);
        Assert.Equal("comfysnap-worker", jobSpan.Resource["service.name"]);

        // The boot trace: a root span of this worker, mode Restored, one child per phase of WorkerBooted.
        var boot = await receiver.WaitForAsync(r => r.Spans.FirstOrDefault(s => s.Name == WorkerActivities.Boot && s.Tag("comfysnap.worker.id") == workerId),
            Generous, $"the boot span of {workerId}");
        Assert.True(boot.IsRoot);
        Assert.Equal("Restored", boot.Tag("comfysnap.boot.mode"));
        Assert.Equal(fixture.Manifest.SnapshotId, boot.Tag("comfysnap.snapshot.id"));
        var phases = receiver.Spans.Where(s => s.ParentSpanId == boot.SpanId).Select(s => s.Name).ToList();
        Assert.Equal(booted.Phases.Select(p => p.Name).Order(StringComparer.Ordinal), phases.Order(StringComparer.Ordinal));
        Assert.Contains("restore", phases);

        // Metrics, every second: the job counted and the boot timed, on this worker's meter.
        var metrics = await receiver.WaitForAsync(r =>
        {
            var mine = r.Metrics.Where(m => m.Scope == WorkerMetrics.MeterName && m.ScopeAttributes.GetValueOrDefault("comfysnap.worker.id") == workerId).ToList();
            return mine.Any(m => m.Name == "comfysnap.jobs") && mine.Any(m => m.Name == "comfysnap.boot.duration") ? mine : null;
        }, Generous, $"comfysnap.jobs and comfysnap.boot.duration of {workerId}");
        Assert.All(metrics, m => Assert.Equal(workerId, m.Resource["service.instance.id"]));

        // No service password in anything exported: attributes, resources, raw bodies.
        Assert.NotEmpty(TestEnvironment.ServiceSecrets);
        foreach (var secret in TestEnvironment.ServiceSecrets)
        {
            var needle = Encoding.UTF8.GetBytes(secret);
            Assert.DoesNotContain(receiver.Bodies, b => b.AsSpan().IndexOf(needle) >= 0);
            Assert.DoesNotContain(receiver.Spans, s => s.Attributes.Values.Concat(s.Resource.Values).Any(v => v?.Contains(secret, StringComparison.Ordinal) == true));
        }

        Assert.DoesNotContain(worker.Output, l => l.Contains("OTLP", StringComparison.OrdinalIgnoreCase) && l.Contains("fail", StringComparison.OrdinalIgnoreCase));
    }

    // OTLP carries the display name: "node ID CLASS" (the operation name is "node").
    private static bool IsNode(OtlpSpan span) => span.Name.StartsWith(EngineActivities.Node + " ", StringComparison.Ordinal);
}
