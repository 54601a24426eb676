using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Operator.Submit;
using ComfySnap.Tests.Operator.Support;
using ComfySnap.Tests.Support;

namespace ComfySnap.Tests.Operator;

/// <summary>`submit`, `tail` and `status` against a `serve` child worker on the real RabbitMQ and Redis.</summary>
[Trait("Category", "Integration")]
public sealed class OperatorCliTests(OperatorWorkerFixture fixture) : IClassFixture<OperatorWorkerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Submit_a_folder_of_20_workflows_writes_20_outputs_and_exits_0()
    {
        var root = TestEnvironment.NewTempDirectory("submit");
        var inputs = OperatorWorkerFixture.WriteImageWorkflows(Path.Combine(root, "in"), 20);
        var output = Path.Combine(root, "out");

        var (code, text, error) = await Run("submit", inputs, "--out", output, "--idle-timeout", "60");

        Assert.True(code == 0, text + error);
        Assert.Equal(20, Directory.GetFiles(output, "*.png").Length);
        Assert.Contains("20 job(s), 0 answered earlier, 20 to send", text);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(Squeeze(text), @"\|\s*20\s*\|\s*20\s*\|\s*0\s*\|\s*0\s*\|\s*0\s*\|\s*0\s*\|\s*20\s*\|"), text);
        var journal = Journal(output);
        Assert.Equal(20, journal.Count(e => e.Type == "job"));
        Assert.Equal(20, journal.Count(e => e.Type == "completed"));
    }

    [Fact]
    public async Task Resume_sends_only_the_jobs_without_an_answer()
    {
        var root = TestEnvironment.NewTempDirectory("resume");
        var inputs = OperatorWorkerFixture.WriteImageWorkflows(Path.Combine(root, "in"), 6);
        var output = Path.Combine(root, "out");
        var first = await Run("submit", inputs, "--out", output, "--repeat", "1");
        Assert.Equal(0, first.ExitCode);
        var batch = Journal(output).Single(e => e.Type == "batch").BatchId!;
        Assert.Equal(6, fixture.Harness.Events.All<WorkflowCompleted>().Count(c => c.BatchId == batch));

        // A run that died after two answers had not been recorded: drop those lines and files.
        var lines = File.ReadAllLines(Path.Combine(output, BatchJournal.FileName)).ToList();
        var lost = lines.Where(l => l.Contains("\"type\":\"completed\"", StringComparison.Ordinal)).Take(2).ToList();
        foreach (var l in lost)
        {
            lines.Remove(l);
            foreach (var f in JsonSerializer.Deserialize<JournalEntry>(l, JsonSerializerOptions.Web)!.Files!)
            {
                File.Delete(Path.Combine(output, f));
            }
        }

        File.WriteAllLines(Path.Combine(output, BatchJournal.FileName), lines);
        Assert.Equal(4, Directory.GetFiles(output, "*.png").Length);

        var (code, text, error) = await Run("submit", "--resume", "--out", output);

        Assert.True(code == 0, text + error);
        Assert.Contains("6 job(s), 4 answered earlier, 2 to send", text);
        Assert.Equal(6, Directory.GetFiles(output, "*.png").Length);
        await fixture.Harness.Events.WaitAsync<WorkflowCompleted>(_ => fixture.Harness.Events.All<WorkflowCompleted>().Count(c => c.BatchId == batch) >= 8, Timeout);
        Assert.Equal(8, fixture.Harness.Events.All<WorkflowCompleted>().Count(c => c.BatchId == batch));
    }

    [Fact]
    public async Task A_failing_workflow_makes_the_exit_code_1()
    {
        var root = TestEnvironment.NewTempDirectory("fail");
        var inputs = OperatorWorkerFixture.WriteImageWorkflows(Path.Combine(root, "in"), 2, invalidFrom: "invalid/bad-inputs.json");
        var output = Path.Combine(root, "out");

        var (code, text, _) = await Run("submit", inputs, "--out", output);

        Assert.Equal(1, code);
        Assert.Equal(2, Directory.GetFiles(output, "*.png").Length);
        Assert.Contains("InvalidWorkflow", text);
        Assert.Contains("zz-invalid", text);
    }

    [Fact]
    public async Task Tail_json_prints_the_job_timings_of_submitted_jobs()
    {
        var root = TestEnvironment.NewTempDirectory("tail");
        var inputs = OperatorWorkerFixture.WriteImageWorkflows(Path.Combine(root, "in"), 3);
        var output = Path.Combine(root, "out");
        using var tailOut = new CapturedWriter();
        using var tailError = new CapturedWriter();
        using var stop = new CancellationTokenSource(Timeout);
        var tail = fixture.RunAsync(tailOut, tailError, stop.Token, "tail", "--json", "--kind", "timings,failed");
        await tailError.WaitForAsync(t => t.Contains("listening", StringComparison.Ordinal), Timeout);

        var submitted = await Run("submit", inputs, "--out", output, "--cache", "Bypass");
        Assert.Equal(0, submitted.ExitCode);
        var jobIds = Journal(output).Where(e => e.Type == "job").Select(e => e.JobId!).ToList();
        var batch = Journal(output).Single(e => e.Type == "batch").BatchId;
        await tailOut.WaitForAsync(t => jobIds.All(id => t.Contains(id, StringComparison.Ordinal)), Timeout);
        await stop.CancelAsync();
        Assert.Equal(0, await tail);

        var lines = tailOut.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ours = lines.Where(l => jobIds.Contains(l.GetProperty("jobId").GetString() ?? "")).ToList();
        Assert.Equal(3, ours.Count);
        Assert.All(ours, l =>
        {
            Assert.Equal("JobTimings", l.GetProperty("kind").GetString());
            Assert.Equal(batch, l.GetProperty("batchId").GetString());
            Assert.Equal(5, l.GetProperty("event").GetProperty("nodes").GetArrayLength());
        });
    }

    [Fact]
    public async Task Status_shows_the_queue_with_its_consumer()
    {
        var (code, text, error) = await Run("status", "--listen", "0");

        Assert.True(code == 0, text + error);
        Assert.Matches($@"{fixture.Harness.QueueName}\s*\|\s*0\s*\|\s*1\s*\|", Squeeze(text));
    }

    [Fact]
    public async Task Status_lists_the_worker_by_its_heartbeat_with_boot_mode_and_age()
    {
        var (code, text, error) = await Run("status", "--listen", "3");

        Assert.True(code == 0, text + error);
        var workerId = fixture.WorkerId;
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(Squeeze(text), $@"{workerId}\s*\|\s*ColdBoot\s*\|[^\n]*\|\s*\d+\.\d s ago\s*\|"), text);
        // (the pattern ends at "s ago |": a STALE mark on this worker's row would not match; other
        // workers on the shared broker, frozen or killed by other tests, may well be stale)
    }

    [Fact]
    public async Task Bad_arguments_exit_2_with_one_line()
    {
        var (code, _, error) = await Run("submit", "/nonexistent/workflows", "--out", TestEnvironment.NewTempDirectory("bad"));

        Assert.Equal(2, code);
        Assert.StartsWith("error: no such file or folder", error, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output, string Error)> Run(params string[] args) =>
        fixture.RunAsync(CancellationToken.None, args);

    private static List<JournalEntry> Journal(string output) =>
        File.ReadAllLines(Path.Combine(output, BatchJournal.FileName))
            .Select(l => JsonSerializer.Deserialize<JournalEntry>(l, JsonSerializerOptions.Web)!).ToList();

    // Table borders as '|' whatever the console's box characters.
    private static string Squeeze(string text) => string.Concat(text.Select(c => c is '│' or '┃' or '║' ? '|' : c));
}
