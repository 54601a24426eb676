using ComfySnap.TestSupport;

namespace ComfySnap.Tests.Fleet;

/// <summary>A private RabbitMQ + Redis pair for the fleet tests (their exchanges and queues stay off the shared broker).</summary>
public sealed class FleetServices : IAsyncLifetime
{
    public PrivateServices Services { get; private set; } = null!;

    public string Root { get; } = TestEnvironment.NewTempDirectory("fleet");

    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(4);
        Services = new PrivateServices(Path.Combine(Root, "services"), $"fleet-{Guid.NewGuid():N}"[..16] + "@localhost", ports[0], ports[1], ports[2], ports[3]);
        await Services.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Services.StopAsync(CancellationToken.None);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // leave temp files behind rather than fail a test
        }
    }
}
