using ComfySnap.ServiceDefaults.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Testing;

namespace ComfySnap.Tests.FirstContact;

/// <summary>What `./comfysnap worker serve` and `./comfysnap gateway` fill in when no bus or cache settings are given.</summary>
public sealed class ProjectServicesTests
{
    private static readonly Dictionary<string, string?> Script = new()
    {
        [ProjectServices.Variable] = "1",
        ["COMFYSNAP_RABBITMQ_PORT"] = "5682",
        ["COMFYSNAP_RABBITMQ_USER"] = "comfysnap",
        ["COMFYSNAP_RABBITMQ_PASSWORD"] = "rabbit-secret",
        ["COMFYSNAP_REDIS_PORT"] = "6390",
        ["COMFYSNAP_REDIS_PASSWORD"] = "redis-secret",
    };

    [Fact]
    public void Without_settings_the_project_services_and_their_credentials_are_used_and_said_once()
    {
        var configuration = Configuration(new Dictionary<string, string?>());

        var used = ProjectServices.Apply(configuration, Environment(Script));

        Assert.NotNull(used);
        Assert.Equal("127.0.0.1", configuration["Bus:RabbitMq:Host"]);
        Assert.Equal("5682", configuration["Bus:RabbitMq:Port"]);
        Assert.Equal("comfysnap", configuration["Bus:RabbitMq:Username"]);
        Assert.Equal("rabbit-secret", configuration["Bus:RabbitMq:Password"]);
        Assert.Equal("127.0.0.1:6390,password=redis-secret", configuration["Cache:Redis"]);
        var logger = new FakeLogger();
        used.Log(logger);
        var line = Assert.Single(logger.Collector.GetSnapshot()).Message;
        Assert.Equal("No bus or cache settings given: using the project's own services (./comfysnap services) with their generated credentials: " +
            "RabbitMQ amqp://comfysnap@127.0.0.1:5682/ and Redis 127.0.0.1:6390", line);
        Assert.DoesNotContain("secret", line, StringComparison.Ordinal);
    }

    [Fact]
    public void They_override_appsettings_placeholders_but_not_settings_given_in_the_environment()
    {
        var appsettings = Path.Combine(TestEnvironment.NewTempDirectory("appsettings"), "appsettings.json");
        File.WriteAllText(appsettings, """{ "Bus": { "RabbitMq": { "Host": "", "Port": 5672, "Username": "guest", "Password": "guest" } } }""");
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(appsettings).AddInMemoryCollection(new Dictionary<string, string?> { ["Bus:RabbitMq:Username"] = "me" });

        ProjectServices.Apply(configuration, Environment(Script));

        Assert.Equal("5682", configuration["Bus:RabbitMq:Port"]);
        Assert.Equal("rabbit-secret", configuration["Bus:RabbitMq:Password"]);
        Assert.Equal("me", configuration["Bus:RabbitMq:Username"]);
    }

    [Fact]
    public void A_given_broker_or_cache_is_kept_and_only_the_other_is_filled_in()
    {
        var configuration = Configuration(new Dictionary<string, string?> { ["Bus:RabbitMq:Host"] = "rabbit.example", ["Bus:RabbitMq:Port"] = "5671" });

        var used = ProjectServices.Apply(configuration, Environment(Script));

        Assert.Equal(new ProjectServices(null, "Redis 127.0.0.1:6390"), used);
        Assert.Equal("rabbit.example", configuration["Bus:RabbitMq:Host"]);
        Assert.Equal("5671", configuration["Bus:RabbitMq:Port"]);
        Assert.Null(ProjectServices.Apply(Configuration(new Dictionary<string, string?> { ["Bus:Transport"] = "InMemory", ["Cache:Redis"] = "r:1" }), Environment(Script)));
    }

    [Fact]
    public void Cluster_nodes_given_without_a_host_are_a_given_broker()
    {
        var configuration = Configuration(new Dictionary<string, string?> { ["Bus:RabbitMq:Nodes:0"] = "10.0.0.1:5672", ["Bus:RabbitMq:Nodes:1"] = "10.0.0.2:5672" });

        var used = ProjectServices.Apply(configuration, Environment(Script));

        Assert.Equal(new ProjectServices(null, "Redis 127.0.0.1:6390"), used);
        Assert.Null(configuration["Bus:RabbitMq:Host"]);
    }

    [Fact]
    public void Outside_the_script_nothing_is_filled_in()
    {
        var configuration = Configuration(new Dictionary<string, string?>());

        Assert.Null(ProjectServices.Apply(configuration, Environment(new Dictionary<string, string?>(Script) { [ProjectServices.Variable] = null })));
        Assert.Null(configuration["Bus:RabbitMq:Host"]);
        Assert.Null(configuration["Cache:Redis"]);
    }

    [Fact]
    public void The_worker_also_gets_the_project_object_store_and_its_keys_unless_one_is_given()
    {
        var script = new Dictionary<string, string?>(Script) { ["COMFYSNAP_S3_PORT"] = "9010", ["COMFYSNAP_S3_ACCESS_KEY"] = "key-id", ["COMFYSNAP_S3_SECRET_KEY"] = "s3-secret" };
        var configuration = Configuration(new Dictionary<string, string?>());

        var used = ProjectServices.Apply(configuration, Environment(script), objectStore: true);

        Assert.Equal("http://127.0.0.1:9010", configuration["ObjectStore:ServiceUrl"]);
        Assert.Equal("key-id", configuration["ObjectStore:AccessKey"]);
        Assert.Equal("s3-secret", configuration["ObjectStore:SecretKey"]);
        var logger = new FakeLogger();
        used!.Log(logger);
        Assert.Contains(logger.Collector.GetSnapshot(), l => l.Message.Contains("s3rver http://127.0.0.1:9010", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Collector.GetSnapshot(), l => l.Message.Contains("secret", StringComparison.Ordinal));

        var gateway = Configuration(new Dictionary<string, string?>());
        ProjectServices.Apply(gateway, Environment(script));
        Assert.Null(gateway["ObjectStore:ServiceUrl"]);
        var given = Configuration(new Dictionary<string, string?> { ["ObjectStore:ServiceUrl"] = "https://s3.example" });
        ProjectServices.Apply(given, Environment(script), objectStore: true);
        Assert.Equal("https://s3.example", given["ObjectStore:ServiceUrl"]);
        Assert.Null(given["ObjectStore:AccessKey"]);
    }

    private static ConfigurationManager Configuration(Dictionary<string, string?> given)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(given);
        return configuration;
    }

    private static Func<string, string?> Environment(IReadOnlyDictionary<string, string?> variables) => name => variables.GetValueOrDefault(name);
}
