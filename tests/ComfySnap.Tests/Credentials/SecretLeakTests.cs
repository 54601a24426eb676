using System.Text;
using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.TestSupport;
using MassTransit.Serialization;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Credentials;

/// <summary>
/// Issue 12: the test services run with generated credentials (`./comfysnap services start`). A worker
/// given them (in process with its logs collected, and a child `serve` worker reading them from
/// *_FILE secret files) connects, runs good and bad jobs, and neither password appears in any log
/// line or any event it published. The snapshot images are searched in SnapshotRestoreTests, and a
/// restored worker's exported telemetry (span attributes, resources, OTLP bodies) in RestoredWorkerTelemetryTests.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SecretLeakTests(ITestOutputHelper output)
{
    private const string Valid = """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""";
    private const string Invalid = """{"1":{"class_type":"EmptyImage","inputs":{"width":"wide"}},"2":{"class_type":"NoSuchNode","inputs":{}}}""";

    [Fact]
    public void The_test_services_do_not_use_default_credentials()
    {
        // `./comfysnap test` exports what `services start` generated; guest/guest would make the other tests prove nothing.
        Assert.NotEqual("guest", TestEnvironment.RabbitMqUser);
        Assert.NotEqual("guest", TestEnvironment.RabbitMqPassword);
        Assert.False(string.IsNullOrEmpty(TestEnvironment.RedisPassword), "Redis runs without a password");
        Assert.False(string.IsNullOrEmpty(TestEnvironment.S3SecretKey), "the object store runs without a generated key");
        Assert.Equal(3, TestEnvironment.ServiceSecrets.Count); // RabbitMQ, Redis, the object store: what the leak tests search for
    }

    [Fact]
    public async Task An_in_process_worker_logs_and_publishes_no_password()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Debug" });
        await RunJobsAsync(worker, "in-process");

        var logs = worker.Logs.Events.Select(e => e.RenderMessage() + " " + string.Join(" ", e.Properties.Select(p => $"{p.Key}={p.Value}")) + " " + e.Exception).ToList();
        AssertNoSecret("log", logs);
        AssertNoSecret("event", Events(worker.Events));
        output.WriteLine($"searched {logs.Count} log events and {Events(worker.Events).Count} published events");
    }

    [Fact]
    public async Task A_child_worker_reads_its_passwords_from_secret_files_and_prints_none()
    {
        await using var bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        var secrets = Path.Combine(bus.Root, "secrets");
        Directory.CreateDirectory(secrets);
        var rabbitFile = WriteSecret(Path.Combine(secrets, "rabbitmq-password"), TestEnvironment.RabbitMqPassword + "\n");
        var redisFile = WriteSecret(Path.Combine(secrets, "redis"), TestEnvironment.RedisEndpoint);
        var settings = bus.Settings.Where(kv => kv.Key is not ("Bus:RabbitMq:Password" or "Cache:Redis")).ToDictionary(kv => kv.Key, kv => kv.Value);
        settings["Bus:RabbitMq:Password_FILE"] = rabbitFile;
        settings["Cache:Redis_FILE"] = redisFile;
        settings["Serilog:MinimumLevel:Default"] = "Debug";

        await using var child = await WorkerProcess.StartAsync(settings, bus.Settings["Bus:WorkerId"]!);
        var booted = (await bus.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == bus.Settings["Bus:WorkerId"], TimeSpan.FromSeconds(60))).Message;
        Assert.Contains(booted.Phases, p => p.Name.Contains("cache", StringComparison.OrdinalIgnoreCase));
        await RunJobsAsync(bus, "child");

        AssertNoSecret("worker output", child.Output);
        AssertNoSecret("event", Events(bus.Events));
    }

    private static async Task RunJobsAsync(RabbitWorkerHarness worker, string prefix)
    {
        var id = $"secret-{prefix}-{Guid.NewGuid():N}"[..30];
        var jobs = new[] { (id + "-ok", Valid), (id + "-again", Valid), (id + "-invalid", Invalid) };
        foreach (var (jobId, workflow) in jobs)
        {
            await worker.SendAsync(new RunWorkflow(jobId, workflow));
            await worker.Events.ResultAsync(jobId, TimeSpan.FromSeconds(60));
        }

        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(id + "-ok"));
        Assert.True(((WorkflowCompleted)await worker.Events.ResultAsync(id + "-again")).FromCache, "the second run should come from the Redis cache");
        Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync(id + "-invalid"));
    }

    private static List<string> Events(EventCollector events) =>
        [.. events.All<object>().Select(e => JsonSerializer.Serialize(e, e.GetType(), SystemTextJsonMessageSerializer.Options))];

    private static void AssertNoSecret(string what, IEnumerable<string> texts)
    {
        var all = texts.ToList();
        Assert.NotEmpty(all);
        foreach (var secret in TestEnvironment.ServiceSecrets)
        {
            var hit = all.FirstOrDefault(t => t.Contains(secret, StringComparison.Ordinal)
                || t.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)), StringComparison.Ordinal));
            Assert.True(hit is null, $"a {what} contains a service password: {hit?.Replace(secret, "<password>", StringComparison.Ordinal)}");
        }
    }

    private static string WriteSecret(string path, string content)
    {
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return path;
    }
}
