using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Gateway.Support;

/// <summary>
/// One `serve` child worker on the real RabbitMQ and Redis (a queue and key prefix of its own) and
/// two gateways in front of it sharing that Redis prefix, for all the gateway tests of a class.
/// The harness's client also collects the workers' bus events, to compare with what the gateways relay.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public RabbitWorkerHarness Bus { get; private set; } = null!;

    public WorkerProcess Worker { get; private set; } = null!;

    public GatewayInstance A { get; private set; } = null!;

    public GatewayInstance B { get; private set; } = null!;

    /// <summary>The worker's Webhooks:SigningKey.</summary>
    public string WebhookKey { get; } = $"whsec-{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        // The worker posts webhooks to the tests' loopback receivers, signed with WebhookKey, and
        // writes to the test object store when a prompt's extra_data.delivery names a bucket.
        var settings = TestEnvironment.ObjectStoreSettings();
        settings["Webhooks:SigningKey"] = WebhookKey;
        settings["Webhooks:AllowPrivateNetworks"] = "true";
        Bus = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, settings: settings);
        var gateways = Task.WhenAll(GatewayInstance.StartAsync(Bus.Settings), GatewayInstance.StartAsync(Bus.Settings));
        Worker = await WorkerProcess.StartAsync(Bus.Settings, Bus.Settings["Bus:WorkerId"]!);
        var started = await gateways;
        (A, B) = (started[0], started[1]);
        // The worker publishes its node catalog once ready; the gateways validate against it.
        await Task.WhenAll(A.WaitReadyAsync(), B.WaitReadyAsync());
    }

    /// <summary>Another gateway on the same bus and Redis (e.g. a restarted one, or one with other settings).</summary>
    public Task<GatewayInstance> StartGatewayAsync(IDictionary<string, string?>? settings = null) => GatewayInstance.StartAsync(Bus.Settings, settings);

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        Worker.Dispose();
        await Bus.DisposeAsync();
    }
}
