using ComfySnap.ServiceDefaults.Hosting;
using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Worker.Support;
using ComfySnap.Worker.Hosting;

namespace ComfySnap.Tests.Worker;

/// <summary>Logging:Format=json: a `serve` worker's console is JSON lines with the structured properties, for log shippers.</summary>
public sealed class JsonLogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_serve_worker_with_json_format_writes_one_json_object_per_line_with_the_job_id()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync(
            settings: new Dictionary<string, string?> { ["Logging:Format"] = "json" }, inProcessWorker: false);
        var workerId = $"json-{Guid.NewGuid():N}"[..16];
        await using var child = await WorkerProcess.StartAsync(harness.Settings, workerId);
        var jobId = "json-log-" + Guid.NewGuid().ToString("N")[..8];

        await harness.SendAsync(new RunWorkflow(jobId, EngineHarness.Workflow("image-ops.json"), CachePolicy: CachePolicy.Bypass));
        Assert.IsType<WorkflowCompleted>(await harness.Events.ResultAsync(jobId, Timeout));
        child.Terminate();
        await child.WaitForExitAsync(Timeout);

        var lines = child.OutputLines.Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(lines);
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList(); // throws on any line that is not JSON
        Assert.All(events, e =>
        {
            Assert.True(e.TryGetProperty("@t", out _));
            Assert.True(e.TryGetProperty("@m", out _));
        });
        var completed = Assert.Single(events, e => e.TryGetProperty("@m", out var m) && m.GetString()!.StartsWith($"Job \"{jobId}\" completed", StringComparison.Ordinal));
        Assert.Equal(jobId, completed.GetProperty("JobId").GetString());
        Assert.True(completed.GetProperty("TotalMs").GetDouble() > 0);
        Assert.Contains(events, e => e.TryGetProperty("WorkerId", out var w) && w.GetString() == workerId);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("text", false)]
    [InlineData("JSON", true)]
    public void Format_is_text_or_json(string? format, bool json) => Assert.Equal(json, ConsoleLogging.IsJson(format));

    [Fact]
    public void An_unknown_format_is_a_clear_error()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ConsoleLogging.IsJson("xml"));
        Assert.Contains("Logging:Format must be 'text' or 'json'", e.Message);
    }
}
