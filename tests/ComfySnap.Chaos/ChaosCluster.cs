using System.Collections.Concurrent;
using System.Globalization;
using ComfySnap.TestSupport;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using Spectre.Console;

namespace ComfySnap.Chaos;

/// <summary>
/// The system under test: a private RabbitMQ + Redis pair (ports of its own, free at start) or,
/// with --cluster, a private three-node RabbitMQ cluster and a Redis primary + replica behind three
/// Sentinels; one snapshot of a worker with a tiny SD checkpoint preloaded, and three supervised
/// `serve` workers restoring from it. On the cluster each worker reaches the broker nodes only
/// through loopback forwarders of its own, so the run can cut one worker off one node.
/// Disposing kills the workers, stops the services and deletes the folder.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    private readonly List<SupervisedWorker> _workers = [];
    private readonly List<IReadOnlyList<LoopbackForwarder>> _forwarders = [];

    private ChaosCluster(string runId, string root, IPrivateBroker broker, PrivateServices? pair, ClusterServices? nodes)
    {
        RunId = runId;
        Root = root;
        Broker = broker;
        Pair = pair;
        Nodes = nodes;
    }

    public string RunId { get; }

    public string Root { get; }

    /// <summary>The broker as clients reach it (one node, or every node of the cluster).</summary>
    public IPrivateBroker Broker { get; }

    /// <summary>The single RabbitMQ + Redis pair; null on the cluster.</summary>
    public PrivateServices? Pair { get; }

    /// <summary>The cluster; null for the single pair.</summary>
    public ClusterServices? Nodes { get; }

    public string Queue => $"chaos-run-workflow-{RunId}";

    public IReadOnlyList<SupervisedWorker> Workers => _workers;

    /// <summary>On the cluster: each worker slot's forwarders, one per broker node (index node - 1).</summary>
    public IReadOnlyList<IReadOnlyList<LoopbackForwarder>> Forwarders => _forwarders;

    /// <summary>Worker ids whose process the run SIGKILLed, with when.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> Killed { get; } = new(StringComparer.Ordinal);

    /// <summary>JobIds whose run was fenced (its lease taken over while its worker stalled), with the worker that logged it.</summary>
    public ConcurrentDictionary<string, string> Fenced { get; } = new(StringComparer.Ordinal);

    public static async Task<ChaosCluster> StartAsync(string runId, bool onCluster, CancellationToken ct)
    {
        var root = Path.Combine(ChaosLeftovers.RunsDirectory, runId);
        await ChaosLeftovers.SweepAsync(root, ct);
        Directory.CreateDirectory(root);
        if (onCluster)
        {
            ChaosLeftovers.Claim(root, pair: null);
            AnsiConsole.MarkupLineInterpolated($"private cluster: three RabbitMQ nodes, Redis primary + replica, three Sentinels; folder {root}");
            var nodes = await ClusterServices.StartAsync(Path.Combine(root, "cluster"), ct);
            AnsiConsole.MarkupLineInterpolated($"RabbitMQ :{string.Join(", :", nodes.AmqpPorts)}, Redis :{string.Join(", :", nodes.RedisPorts)}");
            return new ChaosCluster(runId, root, nodes, null, nodes);
        }

        var ports = FreePorts.Take(4);
        var services = new PrivateServices(Path.Combine(root, "services"), $"chaos-{runId}@localhost", ports[0], ports[1], ports[2], ports[3]);
        ChaosLeftovers.Claim(root, services);
        var cluster = new ChaosCluster(runId, root, services, services, null);
        AnsiConsole.MarkupLineInterpolated($"private RabbitMQ :{services.RabbitMqPort}, Redis :{services.RedisPort}, node {services.NodeName}, folder {root}");
        await services.StartAsync(ct);
        return cluster;
    }

    /// <summary>Writes the tiny checkpoint and builds the snapshot with the real SnapshotBuilder command line.</summary>
    public async Task BuildSnapshotAsync(CancellationToken ct)
    {
        RandomCheckpoint.Write(CheckpointPreset.Tiny, Path.Combine(Root, "models", "checkpoints", ChaosWorkflows.CheckpointName), "fp32", seed: 7);
        Directory.CreateDirectory(Path.Combine(Root, "node_packs"));
        await SnapshotBuilderCli.BuildAsync(
        [
            "--out", SnapshotDirectory, "--worker", TestEnvironment.ProjectDll("src/Worker", "ComfySnap.Worker"), "--models-dir", Path.Combine(Root, "models"),
            "--node-packs", Path.Combine(Root, "node_packs"), "--preload", "checkpoints/" + ChaosWorkflows.CheckpointName,
        ], Root, ct);
    }

    public string SnapshotDirectory => Path.Combine(Root, "snap");

    public void StartWorkers()
    {
        for (var slot = 0; slot < ChaosSettings.Workers; slot++)
        {
            if (Nodes is not null)
            {
                _forwarders.Add([.. Nodes.AmqpPorts.Select(LoopbackForwarder.Start)]);
            }

            var ownSlot = slot;
            var worker = new SupervisedWorker(slot, $"chaos-{RunId}-", id => WorkerSettingsFor(ownSlot, id), Killed, Fenced);
            _workers.Add(worker);
            worker.Start();
        }
    }

    public async Task WaitForWorkersAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            while (!_workers.All(w => w.IsReady))
            {
                await Task.Delay(200, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"the workers were not ready within {timeout}; last lines:{Environment.NewLine}"
                + string.Join(Environment.NewLine, _workers.Select(w => w.LastLines)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var worker in _workers)
            {
                await worker.DisposeAsync();
            }

            foreach (var forwarder in _forwarders.SelectMany(f => f))
            {
                await forwarder.DisposeAsync();
            }
        }
        finally
        {
            await StopServicesAsync();
        }
    }

    private async Task StopServicesAsync()
    {
        try
        {
            if (Nodes is not null)
            {
                await Nodes.StopAsync(CancellationToken.None);
            }

            if (Pair is not null)
            {
                await Pair.StopAsync(CancellationToken.None);
            }

            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]clean-up of {Root}: {e.Message}[/]");
        }
    }

    private Dictionary<string, string?> WorkerSettingsFor(int slot, string workerId)
    {
        var redis = Nodes?.RedisConfiguration ?? Pair!.RedisEndpoint;
        var settings = WorkerSettings.OnBus(Root, Queue, workerId, Pair?.RabbitMqPort ?? 0, redis, $"chaos-{RunId}:");
        foreach (var (key, value) in Broker.RabbitMqSettings())
        {
            settings[key] = value; // the private services' own generated user, not the shared pair's
        }

        if (Nodes is not null)
        {
            // Every node, through this slot's own forwarders, starting at a different node per slot
            // so the workers spread over the cluster; a lease acknowledged by the replica survives a failover.
            for (var i = 0; i < Nodes.AmqpPorts.Count; i++)
            {
                settings[$"Bus:RabbitMq:Nodes:{i}"] = $"127.0.0.1:{_forwarders[slot][(slot + i) % Nodes.AmqpPorts.Count].Port}";
            }

            settings.Remove("Bus:RabbitMq:Port");
            settings["Jobs:LeaseReplicas"] = "1";
        }

        settings["Snapshot:Directory"] = SnapshotDirectory;
        settings["Criu:Path"] = TestEnvironment.Criu;
        settings["Snapshot:WorkDirectory"] = Path.Combine(Root, "restore-work");
        settings["Snapshot:HandshakeTimeout"] = "00:01:30";
        settings["Bus:RabbitMq:Heartbeat"] = ChaosSettings.Heartbeat.ToString("c", CultureInfo.InvariantCulture);
        settings["Jobs:LeaseTtl"] = ChaosSettings.LeaseTtl.ToString("c", CultureInfo.InvariantCulture);
        // Warnings and errors, plus the two lines the supervisor needs: the restored pid and "ready".
        settings["Serilog:MinimumLevel:Default"] = "Warning";
        settings["Serilog:MinimumLevel:Override:ComfySnap.Worker.Hosting.WorkerService"] = "Information";
        settings["Serilog:MinimumLevel:Override:ComfySnap.Worker.Boot.SnapshotRestorer"] = "Information";
        return settings;
    }
}
