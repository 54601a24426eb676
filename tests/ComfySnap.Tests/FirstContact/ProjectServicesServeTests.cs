namespace ComfySnap.Tests.FirstContact;

/// <summary>`serve` as `./comfysnap worker serve` starts it (COMFYSNAP_PROJECT_SERVICES and the services' credentials, no bus or cache settings) on the real services.</summary>
[Trait("Category", "Integration")]
public sealed class ProjectServicesServeTests
{
    [Fact]
    public async Task Serve_without_bus_or_cache_settings_uses_the_project_services_and_says_so()
    {
        var id = $"fc-project-{Guid.NewGuid():N}"[..24];
        var root = TestEnvironment.NewTempDirectory("project-services");
        var settings = WorkerSettings.OnBus(root, id, id, TestEnvironment.RabbitMqPort, TestEnvironment.RedisEndpoint, id + ":");
        foreach (var key in settings.Keys.Where(k => k.StartsWith("Bus:RabbitMq:", StringComparison.Ordinal) || k is "Bus:Transport" or "Cache:Redis").ToList())
        {
            settings.Remove(key);
        }

        var environment = new Dictionary<string, string>
        {
            ["COMFYSNAP_PROJECT_SERVICES"] = "1",
            ["COMFYSNAP_RABBITMQ_PORT"] = TestEnvironment.RabbitMqPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["COMFYSNAP_RABBITMQ_USER"] = TestEnvironment.RabbitMqUser,
            ["COMFYSNAP_RABBITMQ_PASSWORD"] = TestEnvironment.RabbitMqPassword,
            ["COMFYSNAP_REDIS_PORT"] = TestEnvironment.RedisPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["COMFYSNAP_REDIS_PASSWORD"] = TestEnvironment.RedisPassword ?? "",
        };
        try
        {
            await using var worker = await WorkerProcess.StartAsync(settings, id, TimeSpan.FromSeconds(120), environment);
            Assert.Single(worker.Output, l => l.Contains(
                $"No bus or cache settings given: using the project's own services (./comfysnap services) with their generated credentials: " +
                $"RabbitMQ amqp://{TestEnvironment.RabbitMqUser}@127.0.0.1:{TestEnvironment.RabbitMqPort}/ and Redis 127.0.0.1:{TestEnvironment.RedisPort}", StringComparison.Ordinal));
            Assert.DoesNotContain(worker.Output, l => TestEnvironment.ServiceSecrets.Any(s => l.Contains(s, StringComparison.Ordinal)));
        }
        finally
        {
            await RabbitQueues.DeleteAsync(TestEnvironment.RabbitMqUri, RabbitQueues.WithErrorQueues(id));
            await RedisKeys.DeleteAsync(TestEnvironment.RedisEndpoint, id + ":");
            Directory.Delete(root, recursive: true);
        }
    }
}
