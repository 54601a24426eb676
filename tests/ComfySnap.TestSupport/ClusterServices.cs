using System.Globalization;
using ComfySnap.ServiceDefaults.RabbitMq;

namespace ComfySnap.TestSupport;

/// <summary>
/// A private three-node RabbitMQ cluster and a Redis primary + replica behind three Sentinels, on
/// free loopback ports with node names and a folder of their own, controlled through
/// scripts/cluster.sh (what `./comfysnap services start --cluster` runs). Tests kill and restart
/// its nodes; the shared single-node pair is never touched.
/// </summary>
public sealed class ClusterServices : IPrivateBroker, IAsyncDisposable
{
    public const string RedisServiceName = "comfysnap";

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);
    private readonly int[] _amqpPorts;
    private readonly int[] _distPorts;
    private readonly int _epmdPort;
    private readonly int[] _redisPorts;
    private readonly int[] _sentinelPorts;
    private readonly string _nodePrefix;

    private ClusterServices(string directory)
    {
        Directory = directory;
        var ports = FreePorts.Take(12);
        _amqpPorts = ports[..3];
        _distPorts = ports[3..6];
        _epmdPort = ports[6];
        _redisPorts = ports[7..9];
        _sentinelPorts = ports[9..12];
        _nodePrefix = $"csc-{Guid.NewGuid():N}"[..12];
    }

    public string Directory { get; }

    public IReadOnlyList<int> AmqpPorts => _amqpPorts;

    public IReadOnlyList<int> RedisPorts => _redisPorts;

    /// <summary>Broker node N (1-3) as RabbitMQ names it.</summary>
    public string NodeName(int node) => $"{_nodePrefix}-{node}@localhost";

    /// <summary>Starts the whole cluster (about a minute: three Erlang VMs, two joins).</summary>
    public static Task<ClusterServices> StartAsync(CancellationToken ct) => StartAsync(TestEnvironment.NewTempDirectory("cluster"), ct);

    /// <summary>Starts the whole cluster with its data in <paramref name="directory"/> (every process it starts names that folder).</summary>
    public static async Task<ClusterServices> StartAsync(string directory, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(directory);
        var cluster = new ClusterServices(directory);
        await cluster.RunAsync("cluster_start", ct);
        return cluster;
    }

    /// <summary>Node 1's URI unless told otherwise; the queue clean-up needs a node that is up.</summary>
    public string RabbitMqUri => RabbitMqUriOf(1);

    public string RabbitMqUriOf(int node) =>
        $"amqp://{Uri.EscapeDataString(Credential("COMFYSNAP_RABBITMQ_USER"))}:{Uri.EscapeDataString(Credential("COMFYSNAP_RABBITMQ_PASSWORD"))}@127.0.0.1:{_amqpPorts[node - 1]}/";

    /// <summary>
    /// All three nodes for a client bus, last node first: workers start at node 1 (<see cref="RabbitMqSettings"/>),
    /// so a test that kills a worker's node keeps its listener.
    /// </summary>
    public RabbitMqOptions Broker() => BrokerOn(3, 2, 1);

    public RabbitMqOptions BrokerOn(params int[] nodes) => new()
    {
        Nodes = [.. nodes.Select(n => $"127.0.0.1:{_amqpPorts[n - 1]}")],
        Username = Credential("COMFYSNAP_RABBITMQ_USER"),
        Password = Credential("COMFYSNAP_RABBITMQ_PASSWORD"),
    };

    /// <summary>The worker's settings: every node (Bus:RabbitMq:Nodes) and no single host.</summary>
    public Dictionary<string, string?> RabbitMqSettings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Bus:RabbitMq:Host"] = "",
            ["Bus:RabbitMq:Username"] = Credential("COMFYSNAP_RABBITMQ_USER"),
            ["Bus:RabbitMq:Password"] = Credential("COMFYSNAP_RABBITMQ_PASSWORD"),
        };
        for (var i = 0; i < _amqpPorts.Length; i++)
        {
            settings[$"Bus:RabbitMq:Nodes:{i}"] = $"127.0.0.1:{_amqpPorts[i]}";
        }

        return settings;
    }

    /// <summary>Cache:Redis through the Sentinels: StackExchange.Redis asks them for the primary and follows a failover.</summary>
    public string RedisConfiguration =>
        string.Join(",", _sentinelPorts.Select(p => $"127.0.0.1:{p}")) + $",serviceName={RedisServiceName},password={Credential("COMFYSNAP_REDIS_PASSWORD")}";

    /// <summary>One Redis node directly (no Sentinel), e.g. to inspect a replica.</summary>
    public string RedisNodeConfiguration(int port) => $"127.0.0.1:{port},password={Credential("COMFYSNAP_REDIS_PASSWORD")}";

    public IReadOnlyList<string> Secrets => [Credential("COMFYSNAP_RABBITMQ_PASSWORD"), Credential("COMFYSNAP_REDIS_PASSWORD")];

    public Task KillRabbitMqNodeAsync(int node, CancellationToken ct) => RunAsync("cluster_rabbitmq_kill_node", ct, [Invariant(node)]);

    public Task StopRabbitMqNodeAsync(int node, CancellationToken ct) => RunAsync("cluster_rabbitmq_stop_node", ct, [Invariant(node)]);

    /// <summary>Starts a node that was killed or stopped and waits until it answers (it rejoins by itself).</summary>
    public async Task StartRabbitMqNodeAsync(int node, CancellationToken ct)
    {
        await RunAsync("cluster_rabbitmq_start_node", ct, [Invariant(node)]);
        await RunAsync("cluster_rabbitmq_wait_node", ct, [Invariant(node)]);
    }

    /// <summary>rabbitmqctl against node N: what it printed.</summary>
    public async Task<string> RabbitMqCtlAsync(int node, IEnumerable<string> arguments, CancellationToken ct) =>
        (await RunAsync("cluster_rabbitmq_ctl", ct, [Invariant(node), .. arguments])).Stdout;

    /// <summary>The broker nodes (1-3) that hold at least one client connection now.</summary>
    public async Task<IReadOnlySet<int>> NodesWithConnectionsAsync(int askNode, CancellationToken ct)
    {
        var pids = await RabbitMqCtlAsync(askNode, ["list_connections", "pid"], ct);
        return Enumerable.Range(1, 3).Where(n => pids.Contains("<" + NodeName(n) + ".", StringComparison.Ordinal)).ToHashSet();
    }

    /// <summary>SIGSTOP of node N's Erlang VM: it stays up but silent (clients notice through the heartbeat).</summary>
    public Task FreezeRabbitMqNodeAsync(int node, CancellationToken ct) => RunAsync("cluster_rabbitmq_signal_node", ct, [Invariant(node), "STOP"]);

    /// <summary>SIGCONT of a frozen node.</summary>
    public Task ThawRabbitMqNodeAsync(int node, CancellationToken ct) => RunAsync("cluster_rabbitmq_signal_node", ct, [Invariant(node), "CONT"]);

    /// <summary>Broker node (1-3) of a RabbitMQ node name; 0 when it is none of this cluster's.</summary>
    public int NodeOf(string nodeName) => Enumerable.Range(1, 3).FirstOrDefault(n => NodeName(n) == nodeName.Trim());

    /// <summary>
    /// The node (1-3) that leads quorum queue <paramref name="queue"/> now, asked of the first node
    /// that answers; null when none answers or the queue has no leader.
    /// </summary>
    public async Task<int?> QueueLeaderAsync(string queue, CancellationToken ct)
    {
        for (var ask = 1; ask <= 3; ask++)
        {
            var result = await RunAsync("cluster_rabbitmq_ctl", ct, [Invariant(ask), "list_queues", "name", "leader", "--no-table-headers", "--timeout", "10"], allowFailure: true);
            if (result.ExitCode != 0)
            {
                continue;
            }

            var line = result.Stdout.Split('\n').Select(l => l.Split('\t')).FirstOrDefault(f => f.Length == 2 && f[0] == queue);
            return line is not null && NodeOf(line[1]) is > 0 and var node ? node : null;
        }

        return null;
    }

    /// <summary>The port of the Redis primary the Sentinels name now; null when none answers.</summary>
    public async Task<int?> RedisPrimaryPortAsync(CancellationToken ct) =>
        int.TryParse((await RunAsync("cluster_redis_primary", ct, allowFailure: true)).Stdout.Trim(), CultureInfo.InvariantCulture, out var port) ? port : null;

    /// <summary>SIGKILL of Redis node N (1: the first primary, 2: its replica).</summary>
    public Task KillRedisNodeAsync(int node, CancellationToken ct) => RunAsync("cluster_redis_kill_node", ct, [Invariant(node)]);

    /// <summary>Starts Redis node N again, as a replica of the primary the Sentinels name.</summary>
    public Task StartRedisNodeAsync(int node, CancellationToken ct) => RunAsync("cluster_redis_start_node", ct, [Invariant(node)]);

    /// <summary>Redis node number (1 or 2) of a port.</summary>
    public int RedisNodeOf(int port) => Array.IndexOf(_redisPorts, port) + 1;

    public Task StopAsync(CancellationToken ct) => RunAsync("cluster_stop", ct);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private string Credential(string name)
    {
        var file = Path.Combine(Directory, "credentials.env");
        return File.ReadLines(file).Select(l => l.Split('=', 2)).First(p => p.Length == 2 && p[0] == name)[1];
    }

    // cluster.sh is a library of functions (sourced by ./comfysnap after services.sh): source both and call one.
    private async Task<ProgramResult> RunAsync(string function, CancellationToken ct, IEnumerable<string>? arguments = null, bool allowFailure = false)
    {
        ct.ThrowIfCancellationRequested();
        var scripts = Path.Combine(TestEnvironment.RepoRoot, "scripts");
        var environment = new Dictionary<string, string>
        {
            ["COMFYSNAP_CLUSTER_DIR"] = Directory,
            ["COMFYSNAP_CLUSTER_NODE_PREFIX"] = _nodePrefix,
            ["COMFYSNAP_CLUSTER_AMQP_PORTS"] = Ports(_amqpPorts),
            ["COMFYSNAP_CLUSTER_DIST_PORTS"] = Ports(_distPorts),
            ["COMFYSNAP_CLUSTER_EPMD_PORT"] = Invariant(_epmdPort),
            ["COMFYSNAP_CLUSTER_REDIS_PORTS"] = Ports(_redisPorts),
            ["COMFYSNAP_CLUSTER_SENTINEL_PORTS"] = Ports(_sentinelPorts),
            ["COMFYSNAP_CLUSTER_REDIS_SERVICE"] = RedisServiceName,
        };
        var result = await ExternalProgram.RunAsync("bash", ["-c", "source \"$0/services.sh\" && source \"$0/cluster.sh\" && fn=\"$1\" && shift && \"$fn\" \"$@\"", scripts, function, .. arguments ?? []],
            ScriptTimeout, environment: environment);
        if (result.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"cluster.sh {function} failed for the private cluster in {Directory}: {result}");
        }

        return result;
    }

    private static string Ports(IEnumerable<int> ports) => string.Join(' ', ports.Select(Invariant));

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
