using System.CommandLine;

namespace ComfySnap.Operator.Cli;

/// <summary>
/// --rabbitmq, --rabbitmq-nodes, --queue, --redis. Defaults come from the environment the project's programs share:
/// COMFYSNAP_RABBITMQ_URI / COMFYSNAP_REDIS, else the worker's COMFYSNAP_Bus__* and COMFYSNAP_Cache__Redis
/// variables, else the ports and credentials `./comfysnap services` uses (COMFYSNAP_RABBITMQ_USER,
/// COMFYSNAP_RABBITMQ_PASSWORD, COMFYSNAP_REDIS_PASSWORD). Every variable may instead be given as
/// NAME_FILE, the path of a file holding the value (a mounted secret), so no secret needs a command line.
/// A private CA comes from the programs' own COMFYSNAP_Bus__RabbitMq__TlsCaFile and COMFYSNAP_Cache__RedisTlsCaFile.
/// </summary>
public sealed class ConnectionOptions
{
    public Option<string> RabbitMq { get; } = new("--rabbitmq")
    {
        Description = "RabbitMQ as amqp://user:password@host:port/vhost (amqps:// for TLS); prefer COMFYSNAP_RABBITMQ_URI(_FILE): a command line is visible to other users",
        DefaultValueFactory = _ => DefaultRabbitMq(),
    };

    public Option<string> RabbitMqNodes { get; } = new("--rabbitmq-nodes")
    {
        Description = "The other nodes of a broker cluster, host:port,host:port (Bus:RabbitMq:Nodes): tried when the --rabbitmq host does not answer or goes",
        DefaultValueFactory = _ => Env("COMFYSNAP_RABBITMQ_NODES") ?? string.Join(",", WorkerNodes()),
    };

    public Option<string> Queue { get; } = new("--queue")
    {
        Description = "The workers' job queue (Bus:QueueName)",
        DefaultValueFactory = _ => Env("COMFYSNAP_Bus__QueueName") ?? "comfysnap-run-workflow",
    };

    public Option<string> Redis { get; } = new("--redis")
    {
        Description = "Redis holding outputs too large to travel inline, as Cache:Redis (host:port,password=...; Sentinels: host:port,host:port,serviceName=NAME)",
        DefaultValueFactory = _ => Env("COMFYSNAP_REDIS") ?? Env("COMFYSNAP_Cache__Redis")
            ?? $"127.0.0.1:{Env("COMFYSNAP_REDIS_PORT") ?? "6390"}{(Env("COMFYSNAP_REDIS_PASSWORD") is { } p ? ",password=" + p : "")}",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(RabbitMq);
        command.Options.Add(RabbitMqNodes);
        command.Options.Add(Queue);
        command.Options.Add(Redis);
    }

    public Connection Bind(ParseResult parse)
    {
        var uri = parse.GetValue(RabbitMq)!;
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var rabbit) || rabbit.Scheme is not ("amqp" or "amqps" or "rabbitmq"))
        {
            throw new ArgumentException($"--rabbitmq must be an amqp:// URI, got '{uri}'");
        }

        var redis = parse.GetValue(Redis);
        var nodes = (parse.GetValue(RabbitMqNodes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new Connection(rabbit, parse.GetValue(Queue)!, string.IsNullOrWhiteSpace(redis) ? null : redis,
            Env("COMFYSNAP_Bus__RabbitMq__TlsCaFile"), Env("COMFYSNAP_Cache__RedisTlsCaFile")) { RabbitMqNodes = nodes };
    }

    private static string DefaultRabbitMq()
    {
        if (Env("COMFYSNAP_RABBITMQ_URI") is { } uri)
        {
            return uri;
        }

        // A worker configured with cluster nodes only: the first node is the URI's host.
        var first = WorkerNodes().FirstOrDefault()?.Split(':', 2);
        var host = Env("COMFYSNAP_Bus__RabbitMq__Host") ?? first?[0] ?? "127.0.0.1";
        var port = Env("COMFYSNAP_Bus__RabbitMq__Port") ?? (first is [_, var p] ? p : null) ?? Env("COMFYSNAP_RABBITMQ_PORT") ?? "5682";
        var user = Env("COMFYSNAP_Bus__RabbitMq__Username") ?? Env("COMFYSNAP_RABBITMQ_USER") ?? "guest";
        var password = Env("COMFYSNAP_Bus__RabbitMq__Password") ?? Env("COMFYSNAP_RABBITMQ_PASSWORD") ?? "guest";
        return $"amqp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@{host}:{port}/";
    }

    // The worker's COMFYSNAP_Bus__RabbitMq__Nodes__0, __1, ... while they are set.
    private static IEnumerable<string> WorkerNodes()
    {
        for (var i = 0; Env($"COMFYSNAP_Bus__RabbitMq__Nodes__{i}") is { } node; i++)
        {
            yield return node;
        }
    }

    /// <summary>NAME's value, or the content of the file NAME_FILE names (one trailing newline removed).</summary>
    private static string? Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
        : Environment.GetEnvironmentVariable(name + "_FILE") is { Length: > 0 } file ? File.ReadAllText(file).TrimEnd('\n', '\r')
        : null;
}
