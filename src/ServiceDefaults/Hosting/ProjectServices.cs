using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging;

namespace ComfySnap.ServiceDefaults.Hosting;

/// <summary>
/// First contact through `./comfysnap worker serve` and `./comfysnap gateway`: with no broker or
/// Redis settings given, the project's own services (`./comfysnap services`) and their generated
/// credentials, which the script exports (COMFYSNAP_RABBITMQ_PORT/USER/PASSWORD,
/// COMFYSNAP_REDIS_PORT/PASSWORD, COMFYSNAP_S3_PORT/ACCESS_KEY/SECRET_KEY) and marks with COMFYSNAP_PROJECT_SERVICES=1. They rank just above
/// appsettings.json: any setting given in the environment or on the command line still wins.
/// </summary>
public sealed record ProjectServices(string? Broker, string? Redis)
{
    /// <summary>The object store filled in (worker only), e.g. "s3rver http://127.0.0.1:9010"; null when none was.</summary>
    public string? ObjectStore { get; init; }

    public const string Variable = "COMFYSNAP_PROJECT_SERVICES";

    // The project's services are on loopback: up at once or not started; no need to wait a minute.
    private const string LocalConnectTimeout = "00:00:10";

    /// <summary>Fills in what is missing; null when nothing was (not run by the script, or everything given). <paramref name="objectStore"/>: also the object store (the worker's ObjectStore section).</summary>
    public static ProjectServices? Apply(IConfigurationManager configuration, Func<string, string?> environment, bool objectStore = false)
    {
        if (environment(Variable) != "1")
        {
            return null;
        }

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        string? broker = null;
        string? redis = null;
        if (IsEmpty(configuration["Bus:RabbitMq:Host"]) && !configuration.GetSection("Bus:RabbitMq:Nodes").GetChildren().Any() && (IsEmpty(configuration["Bus:Transport"]) || configuration["Bus:Transport"] == "RabbitMq"))
        {
            var port = environment("COMFYSNAP_RABBITMQ_PORT") ?? "5682";
            var user = environment("COMFYSNAP_RABBITMQ_USER") ?? "guest";
            settings["Bus:RabbitMq:Host"] = "127.0.0.1";
            settings["Bus:RabbitMq:Port"] = port;
            settings["Bus:RabbitMq:Username"] = user;
            settings["Bus:RabbitMq:Password"] = environment("COMFYSNAP_RABBITMQ_PASSWORD") ?? "guest";
            settings["Bus:RabbitMq:ConnectTimeout"] = LocalConnectTimeout;
            broker = $"RabbitMQ amqp://{user}@127.0.0.1:{port}/";
        }

        if (IsEmpty(configuration["Cache:Redis"]))
        {
            var port = environment("COMFYSNAP_REDIS_PORT") ?? "6390";
            settings["Cache:Redis"] = $"127.0.0.1:{port}" + (environment("COMFYSNAP_REDIS_PASSWORD") is { Length: > 0 } password ? ",password=" + password : "");
            settings["Cache:RedisConnectTimeout"] = LocalConnectTimeout;
            redis = $"Redis 127.0.0.1:{port}";
        }

        string? store = null;
        if (objectStore && IsEmpty(configuration["ObjectStore:ServiceUrl"]) && environment("COMFYSNAP_S3_ACCESS_KEY") is { Length: > 0 } accessKey)
        {
            var port = environment("COMFYSNAP_S3_PORT") ?? "9010";
            settings["ObjectStore:ServiceUrl"] = $"http://127.0.0.1:{port}";
            settings["ObjectStore:AccessKey"] = accessKey;
            settings["ObjectStore:SecretKey"] = environment("COMFYSNAP_S3_SECRET_KEY");
            store = $"s3rver http://127.0.0.1:{port}";
        }

        if (settings.Count == 0)
        {
            return null;
        }

        var sources = ((IConfigurationBuilder)configuration).Sources;
        var afterFiles = sources.Select((s, i) => (s, i)).LastOrDefault(p => p.s is FileConfigurationSource, (null!, -1)).Item2 + 1;
        sources.Insert(afterFiles, new MemoryConfigurationSource { InitialData = settings });
        return new ProjectServices(broker, redis) { ObjectStore = store };
    }

    public void Log(ILogger logger)
    {
        if (ObjectStore is not null)
        {
            logger.LogInformation("No ObjectStore settings given: jobs that name a bucket write to the project's own object store with its generated keys: {ObjectStore}", ObjectStore);
        }

        if (Broker is null && Redis is null)
        {
            return;
        }

        logger.LogInformation("No {Missing} settings given: using the project's own services (./comfysnap services) with their generated credentials: {Services}",
            Broker is not null && Redis is not null ? "bus or cache" : Broker is not null ? "bus" : "cache",
            string.Join(" and ", new[] { Broker, Redis }.OfType<string>()));
    }

    private static bool IsEmpty(string? value) => string.IsNullOrWhiteSpace(value);
}
