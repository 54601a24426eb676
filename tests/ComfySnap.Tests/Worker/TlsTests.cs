using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
        var (trustedCa, brokerCa) = WriteCertificates(tlsDir);
        var extraConf = Path.Combine(root, "tls.conf");
        await File.WriteAllTextAsync(extraConf, string.Join('\n',
            $"listeners.ssl.default = 127.0.0.1:{tlsPort.ToString(CultureInfo.InvariantCulture)}",
            $"ssl_options.cacertfile = {brokerCa}",
            $"ssl_options.certfile = {Path.Combine(tlsDir, "server.pem")}",
            $"ssl_options.keyfile = {Path.Combine(tlsDir, "server.key")}",
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
            var logs = new LogCollector();
            var builder = WorkerHostFactory.CreateBuilder(new Dictionary<string, string?>(untrusting.Settings), configureLogging: l => l.WriteTo.Sink(logs));
            builder.Services.AddQueueWorker(builder.Configuration);
            using var host = builder.Build();
            await host.StartAsync();
            try
            {
                var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Services.GetRequiredService<WorkerReadiness>().Booted.WaitAsync(Timeout));
                Assert.Contains("was rejected: it does not chain to a CA in Bus:RabbitMq:TlsCaFile", failure.Message, StringComparison.Ordinal);
                Assert.Contains(logs.Events, e => e.Level == Serilog.Events.LogEventLevel.Error
                    && e.MessageTemplate.Text.StartsWith("The broker's TLS certificate", StringComparison.Ordinal));
            }
            finally
            {
                await host.StopAsync(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            await services.StopAsync(CancellationToken.None);
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The broker's CA and server certificate (for localhost and 127.0.0.1), plus an unrelated CA; returns the two CA files.</summary>
    private static (string OtherCa, string BrokerCa) WriteCertificates(string dir)
    {
        using var brokerCa = NewCa("ComfySnap test CA");
        using var otherCa = NewCa("Some other CA");
        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(brokerCa, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        File.WriteAllText(Path.Combine(dir, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
        var brokerCaFile = Path.Combine(dir, "ca.pem");
        var otherCaFile = Path.Combine(dir, "other-ca.pem");
        File.WriteAllText(brokerCaFile, brokerCa.ExportCertificatePem());
        File.WriteAllText(otherCaFile, otherCa.ExportCertificatePem());
        return (otherCaFile, brokerCaFile);
    }

    private static X509Certificate2 NewCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
    }
}
