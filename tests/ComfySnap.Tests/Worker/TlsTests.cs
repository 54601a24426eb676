using System.Globalization;
using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.Tests.Engine.Support;

namespace ComfySnap.Tests.Worker;

/// <summary>
/// Bus:RabbitMq:UseTls against a real broker: a private RabbitMQ with an amqps listener whose
/// certificate comes from a CA made here. The shared broker has no TLS listener and is left alone.
/// </summary>
public sealed class TlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Worker_answers_over_amqps_with_the_private_ca_and_refuses_a_broker_it_does_not_trust()
    {
        var root = TestEnvironment.NewTempDirectory("tls");
        var ports = FreePorts.Take(5);
        var tlsPort = ports[4];
        var tlsDir = Path.Combine(root, "services", "rabbitmq", "tls"); // under the folder services.sh hands to the broker's user
        Directory.CreateDirectory(tlsDir);
        var certificates = TestCertificates.Write(tlsDir);
        var (trustedCa, brokerCa) = (certificates.OtherCa, certificates.ServerCa);
        var extraConf = Path.Combine(root, "tls.conf");
        await File.WriteAllTextAsync(extraConf, string.Join('\n',
            $"listeners.ssl.default = 127.0.0.1:{tlsPort.ToString(CultureInfo.InvariantCulture)}",
            $"ssl_options.cacertfile = {brokerCa}",
            $"ssl_options.certfile = {certificates.ServerCertificate}",
            $"ssl_options.keyfile = {certificates.ServerKey}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
            ""));
        var services = new PrivateServices(Path.Combine(root, "services"), $"tls-{Guid.NewGuid():N}"[..14] + "@localhost", ports[0], ports[1], ports[2], ports[3])
        {
            ExtraRabbitMqConf = extraConf,
        };
        try
        {
            await services.StartAsync(CancellationToken.None);
            var tls = new Dictionary<string, string?>
            {
                ["Bus:RabbitMq:Port"] = tlsPort.ToString(CultureInfo.InvariantCulture),
                ["Bus:RabbitMq:UseTls"] = "true",
                ["Bus:RabbitMq:TlsServerName"] = "localhost",
                ["Bus:RabbitMq:TlsCaFile"] = brokerCa,
            };

            // Trusting the broker's CA: boots over amqps and answers a job (the client sends on the plain listener).
            await using (var worker = await RabbitWorkerHarness.StartAsync(services.RedisEndpoint, tls, broker: services))
            {
                Assert.Contains(worker.Logs.Events, e => e.RenderMessage().Contains($"amqps://", StringComparison.Ordinal)
                    && e.RenderMessage().Contains($":{tlsPort.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal));
                await worker.SendAsync(new RunWorkflow("tls-job", EngineHarness.Workflow("image-ops.json"), CachePolicy: CachePolicy.Bypass));
                Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("tls-job", Timeout));
            }

            // Trusting another CA only: the boot fails soon with a certificate error, not a hang.
            tls["Bus:RabbitMq:TlsCaFile"] = trustedCa;
            await using var untrusting = await RabbitWorkerHarness.StartAsync(services.RedisEndpoint, tls, inProcessWorker: false, broker: services);
            var (failure, logs) = await FailingBoot.RunAsync(untrusting.Settings, Timeout);
            Assert.IsType<FirstContactException>(failure);
            Assert.StartsWith($"RabbitMQ at 127.0.0.1:{tlsPort.ToString(CultureInfo.InvariantCulture)} presented a TLS certificate (CN=localhost) that was rejected: ", failure.Message, StringComparison.Ordinal);
            Assert.Contains("was rejected: it does not chain to a CA in Bus:RabbitMq:TlsCaFile", failure.Message, StringComparison.Ordinal);
            // The rejection is the program's one line (ProgramExit), not also an error in the log.
            Assert.DoesNotContain(logs, e => e.Level >= Serilog.Events.LogEventLevel.Error);
        }
        finally
        {
            await services.StopAsync(CancellationToken.None);
            Directory.Delete(root, recursive: true);
        }
    }
}
