using System.Globalization;
using ComfySnap.ServiceDefaults.RabbitMq;

namespace ComfySnap.TestSupport;

/// <summary>
/// A private RabbitMQ + Redis pair (own ports, node name and data folder) controlled through
/// scripts/services.sh, for runs that stop and restart their broker. Refuses the shared pair's
/// ports and node name: other people's tests run on those.
/// </summary>
public sealed class PrivateServices : IPrivateBroker
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(2);

    public PrivateServices(string directory, string nodeName, int rabbitMqPort, int rabbitMqDistPort, int epmdPort, int redisPort)
    {
        if (rabbitMqPort == TestEnvironment.RabbitMqPort || redisPort == TestEnvironment.RedisPort || nodeName == SharedNodeName
            || rabbitMqDistPort == SharedDistPort || epmdPort == SharedEpmdPort)
        {
            throw new ArgumentException($"a private pair needs ports and a node name of its own, not the shared pair's ({TestEnvironment.RabbitMqPort}/{TestEnvironment.RedisPort}, {SharedNodeName})");
        }

        Directory = directory;
        NodeName = nodeName;
        RabbitMqPort = rabbitMqPort;
        RabbitMqDistPort = rabbitMqDistPort;
        EpmdPort = epmdPort;
        RedisPort = redisPort;
    }

    public const string SharedNodeName = "comfysnap@localhost";

    private const int SharedDistPort = 25682;

    private const int SharedEpmdPort = 4379;

    public string Directory { get; }

    public string NodeName { get; }

    public int RabbitMqPort { get; }

    public int RabbitMqDistPort { get; }

    public int EpmdPort { get; }

    public int RedisPort { get; }

    /// <summary>A file of more rabbitmq.conf lines (COMFYSNAP_RABBITMQ_EXTRA_CONF), e.g. a TLS listener; null: none.</summary>
    public string? ExtraRabbitMqConf { get; init; }

    /// <summary>A file of more redis.conf lines (COMFYSNAP_REDIS_EXTRA_CONF), e.g. a TLS port; null: none.</summary>
    public string? ExtraRedisConf { get; init; }

    /// <summary>With the credentials services.sh generated for this pair (credentials.env in its folder), else guest.</summary>
    public string RabbitMqUri =>
        $"amqp://{Uri.EscapeDataString(Credential("COMFYSNAP_RABBITMQ_USER") ?? "guest")}:{Uri.EscapeDataString(Credential("COMFYSNAP_RABBITMQ_PASSWORD") ?? "guest")}@127.0.0.1:{RabbitMqPort}/";

    public string RedisEndpoint => RedisEndpointAt(RedisPort);

    /// <summary>The Redis configuration string for another port of this pair's Redis (e.g. its TLS port), with the password.</summary>
    public string RedisEndpointAt(int port) => Credential("COMFYSNAP_REDIS_PASSWORD") is { } password ? $"127.0.0.1:{port},password={password}" : $"127.0.0.1:{port}";

    /// <summary>The worker's settings for this pair's broker (host, port, user, password).</summary>
    public Dictionary<string, string?> RabbitMqSettings() => new()
    {
        ["Bus:RabbitMq:Host"] = "127.0.0.1",
        ["Bus:RabbitMq:Port"] = Invariant(RabbitMqPort),
        ["Bus:RabbitMq:Username"] = Credential("COMFYSNAP_RABBITMQ_USER") ?? "guest",
        ["Bus:RabbitMq:Password"] = Credential("COMFYSNAP_RABBITMQ_PASSWORD") ?? "guest",
    };

    /// <summary>This pair's plain listener as the programs' shared RabbitMQ set-up takes it (for client buses).</summary>
    public RabbitMqOptions Broker() => new()
    {
        Host = "127.0.0.1",
        Port = RabbitMqPort,
        Username = Credential("COMFYSNAP_RABBITMQ_USER") ?? "guest",
        Password = Credential("COMFYSNAP_RABBITMQ_PASSWORD") ?? "guest",
    };

    private string? Credential(string name)
    {
        var file = Path.Combine(Directory, "credentials.env");
        return File.Exists(file)
            ? File.ReadLines(file).Select(l => l.Split('=', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == name)?[1]
            : null;
    }

    public Task StartAsync(CancellationToken ct) => RunAsync("services_start", ct);

    public Task StopAsync(CancellationToken ct) => RunAsync("services_stop", ct);

    public Task StartRabbitMqAsync(CancellationToken ct) => RunAsync("start_rabbitmq", ct);

    public Task StopRabbitMqAsync(CancellationToken ct) => RunAsync("stop_rabbitmq", ct);

    public async Task RestartRabbitMqAsync(CancellationToken ct)
    {
        await StopRabbitMqAsync(ct);
        await StartRabbitMqAsync(ct);
    }

    public Task StartRedisAsync(CancellationToken ct) => RunAsync("start_redis", ct);

    public Task StopRedisAsync(CancellationToken ct) => RunAsync("stop_redis", ct);

    /// <summary>rabbitmqctl against this pair's broker (e.g. list_connections timeout): what it printed.</summary>
    public async Task<string> RabbitMqCtlAsync(IEnumerable<string> arguments, CancellationToken ct) =>
        (await RunAsync("rabbitmq_ctl", ct, arguments)).Stdout;

    // services.sh is a library of functions (sourced by ./comfysnap): source it and call one.
    private async Task<ProgramResult> RunAsync(string function, CancellationToken ct, IEnumerable<string>? arguments = null)
    {
        ct.ThrowIfCancellationRequested();
        var script = Path.Combine(TestEnvironment.RepoRoot, "scripts", "services.sh");
        var environment = new Dictionary<string, string>
        {
            ["COMFYSNAP_SERVICES_DIR"] = Directory,
            ["COMFYSNAP_RABBITMQ_NODENAME"] = NodeName,
            ["COMFYSNAP_RABBITMQ_PORT"] = Invariant(RabbitMqPort),
            ["COMFYSNAP_RABBITMQ_DIST_PORT"] = Invariant(RabbitMqDistPort),
            ["COMFYSNAP_EPMD_PORT"] = Invariant(EpmdPort),
            ["COMFYSNAP_REDIS_PORT"] = Invariant(RedisPort),

            // A private pair is a broker and a Redis: the object store stays the shared one.
            ["COMFYSNAP_S3"] = "0",
        };
        if (ExtraRabbitMqConf is not null)
        {
            environment["COMFYSNAP_RABBITMQ_EXTRA_CONF"] = ExtraRabbitMqConf;
        }

        if (ExtraRedisConf is not null)
        {
            environment["COMFYSNAP_REDIS_EXTRA_CONF"] = ExtraRedisConf;
        }

        var result = await ExternalProgram.RunAsync("bash", ["-c", "source \"$0\" && fn=\"$1\" && shift && \"$fn\" \"$@\"", script, function, .. arguments ?? []], ScriptTimeout, environment: environment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh {function} failed for the private pair on {RabbitMqPort}/{RedisPort}: {result}");
        }

        return result;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
