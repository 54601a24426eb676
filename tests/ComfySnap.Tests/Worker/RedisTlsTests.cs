using System.Globalization;
using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.ServiceDefaults.Redis;
using Serilog.Events;
using StackExchange.Redis;

namespace ComfySnap.Tests.Worker;

/// <summary>
/// ssl=true in Cache:Redis against a real Redis: a private redis-server with a tls-port whose
/// certificate a CA made here signed (the shared Redis has no TLS port and is left alone).
/// </summary>
public sealed class RedisTlsTests
{
    // Waits that are not the claim: a cold boot and jobs on a loaded 2-vCPU machine.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    private const string Workflow = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":24,"height":16,"batch_size":1,"color":4259648}},
         "2":{"class_type":"ImageInvert","inputs":{"image":["1",0]}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    [Fact]
    public async Task Worker_caches_in_a_tls_redis_with_the_private_ca_and_refuses_its_certificate_without_it()
    {
        var root = TestEnvironment.NewTempDirectory("redis-tls");
        var ports = FreePorts.Take(6);
        var tlsPort = ports[5];
        var tlsDir = Path.Combine(root, "services", "redis", "tls");
        Directory.CreateDirectory(tlsDir);
        var certificates = TestCertificates.Write(tlsDir);
        var extraConf = Path.Combine(root, "redis-tls.conf");
        await File.WriteAllTextAsync(extraConf, string.Join('\n',
            $"tls-port {tlsPort.ToString(CultureInfo.InvariantCulture)}",
            $"tls-cert-file {certificates.ServerCertificate}",
            $"tls-key-file {certificates.ServerKey}",
            $"tls-ca-cert-file {certificates.ServerCa}",
            "tls-auth-clients no",
            ""));
        // Only the pair's Redis is started (the worker uses the shared broker).
        var services = new PrivateServices(Path.Combine(root, "services"), $"rtls-{Guid.NewGuid():N}"[..15] + "@localhost", ports[0], ports[1], ports[2], ports[3])
        {
            ExtraRedisConf = extraConf,
        };
        try
        {
            await services.StartRedisAsync(CancellationToken.None);
            var redis = services.RedisEndpointAt(tlsPort) + ",ssl=true";

            // Trusting Redis's CA: the first job is stored in the TLS Redis, the second identical one is a hit.
            await using (var worker = await RabbitWorkerHarness.StartAsync(redis, new Dictionary<string, string?> { ["Cache:RedisTlsCaFile"] = certificates.ServerCa }))
            {
                Assert.Contains(worker.Booted!.Phases, p => p.Name == "cache connect");
                var id = "redis-tls-" + Guid.NewGuid().ToString("N")[..10];
                await worker.SendAsync(new RunWorkflow(id + "-a", Workflow));
                var first = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(id + "-a", Generous));
                await worker.SendAsync(new RunWorkflow(id + "-b", Workflow));
                var second = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(id + "-b", Generous));
                Assert.False(first.FromCache);
                Assert.True(second.FromCache, "the second identical job should be answered from the TLS Redis");
                Assert.Equal(first.Outputs.Single().Sha256, second.Outputs.Single().Sha256);
                Assert.DoesNotContain(worker.Logs.Events, e => e.Level >= LogEventLevel.Warning && e.RenderMessage().Contains("Redis", StringComparison.Ordinal));

                // The keys are in this Redis (read over its plain control port).
                await using var direct = await ConnectionMultiplexer.ConnectAsync(services.RedisEndpoint);
                var keys = direct.GetServer(direct.GetEndPoints().Single()).Keys(pattern: worker.Settings["Cache:KeyPrefix"] + "*").ToList();
                Assert.NotEmpty(keys);
            }

            // Trusting another CA, or only the system's store: the boot fails at the cache connect with the reason, not a hang or a silently uncached worker.
            foreach (var (caFile, expected) in new[]
            {
                (certificates.OtherCa, $"it does not chain to a CA in {RedisCertificateValidator.CaFileSetting} {certificates.OtherCa}"),
                ((string?)null, $"(a private CA: set {RedisCertificateValidator.CaFileSetting})"),
            })
            {
                await using var untrusting = await RabbitWorkerHarness.StartAsync(redis, new Dictionary<string, string?> { ["Cache:RedisTlsCaFile"] = caFile }, inProcessWorker: false);
                var (failure, logs) = await FailingBoot.RunAsync(untrusting.Settings, Generous);
                Assert.True(failure is FirstContactException, failure.ToString());
                Assert.StartsWith($"Redis at 127.0.0.1:{tlsPort.ToString(CultureInfo.InvariantCulture)} presented a TLS certificate (CN=localhost) that was rejected: ", failure.Message, StringComparison.Ordinal);
                Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
                // The rejection is the program's one line (ProgramExit), not also an error in the log.
                Assert.DoesNotContain(logs, e => e.Level >= LogEventLevel.Error);
                Assert.DoesNotContain(logs, e => e.RenderMessage().Contains("ready", StringComparison.Ordinal) && e.RenderMessage().Contains(untrusting.Settings["Bus:WorkerId"]!, StringComparison.Ordinal));
            }

            // A CA file with a Redis string that does not ask for TLS is refused at once.
            await using var plain = await RabbitWorkerHarness.StartAsync(services.RedisEndpoint, new Dictionary<string, string?> { ["Cache:RedisTlsCaFile"] = certificates.ServerCa }, inProcessWorker: false);
            var (refused, _) = await FailingBoot.RunAsync(plain.Settings, Generous);
            Assert.Contains("Cache:RedisTlsCaFile is set but Cache:Redis does not ask for TLS", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await services.StopRedisAsync(CancellationToken.None);
            Directory.Delete(root, recursive: true);
        }
    }
}
