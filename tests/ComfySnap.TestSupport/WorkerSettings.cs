using System.Globalization;

namespace ComfySnap.TestSupport;

/// <summary>The configuration of a `serve` worker on a queue and Redis key prefix of its own, with its folders under one root.</summary>
public static class WorkerSettings
{
    public static Dictionary<string, string?> OnBus(string root, string queue, string workerId, int rabbitMqPort, string redis, string keyPrefix, string outputFolder = "output")
    {
        foreach (var dir in new[] { "input", outputFolder, "models/upscale_models", "node_packs" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        return new Dictionary<string, string?>
        {
            ["Workspace:InputDirectory"] = Path.Combine(root, "input"),
            ["Workspace:OutputDirectory"] = Path.Combine(root, outputFolder),
            ["Models:BaseDirectory"] = Path.Combine(root, "models"),
            ["NodePacks:Directory"] = Path.Combine(root, "node_packs"),
            ["Bus:Transport"] = "RabbitMq",
            ["Bus:QueueName"] = queue,
            ["Bus:WorkerId"] = workerId,
            ["Bus:RabbitMq:Host"] = "127.0.0.1",
            ["Bus:RabbitMq:Port"] = rabbitMqPort.ToString(CultureInfo.InvariantCulture),
            ["Bus:RabbitMq:Username"] = TestEnvironment.RabbitMqUser,
            ["Bus:RabbitMq:Password"] = TestEnvironment.RabbitMqPassword,
            ["Cache:Redis"] = redis,
            ["Cache:KeyPrefix"] = keyPrefix,
            // Test catalogs need not outlive the run by a week (the default) in the shared Redis.
            ["Catalog:Ttl"] = "00:10:00",
        };
    }
}
