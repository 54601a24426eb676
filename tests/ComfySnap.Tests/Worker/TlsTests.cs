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
        await using var broker = await TlsBroker.StartAsync(CancellationToken.None);
        var (services, tlsPort, trustedCa, brokerCa) = (broker.Services, broker.TlsPort, broker.Certificates.OtherCa, broker.Certificates.ServerCa);
        var tls = broker.TlsSettings(brokerCa);

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
}
