using System.Collections.Concurrent;
using System.Globalization;
using ComfySnap.Contracts;
using ComfySnap.Operator.Bus;
using ComfySnap.Operator.Cli;
using ComfySnap.ServiceDefaults.Routing;
using Spectre.Console;

namespace ComfySnap.Operator.Status;

/// <summary>
/// `status`: the job queue's depth and consumers (AMQP passive declare), its _error queue, and the
/// workers heard during a short listen. Workers publish WorkerBooted once, when they boot, and no
/// heartbeat: a worker is "seen" only if it booted or took a job during the listen; the consumer
/// count is the honest number of workers attached to the queue. With routing, the model queues come
/// from the heard workers and the fleet registry in Redis, which still names workers that died: a
/// queue whose holders are all dead is marked.
/// </summary>
public static class StatusCommand
{
    /// <summary>A worker whose last heartbeat is older than this many of its intervals is marked stale.</summary>
    public const double StaleAfterIntervals = 3;

    public static async Task<int> RunAsync(Connection connection, TimeSpan listen, string keyPrefix, OperatorIo io, CancellationToken cancellationToken)
    {
        var seen = new ConcurrentDictionary<string, WorkerSeen>(StringComparer.Ordinal);
        await using (await EventListener.StartAsync(connection, "status", m =>
        {
            Record(seen, m);
            return Task.CompletedTask;
        }, cancellationToken, heartbeats: true))
        {
            var depths = await QueueProbe.ProbeAsync(connection, [connection.Queue, connection.Queue + "_error"], cancellationToken);
            WriteQueues(io.Console, depths);
            if (listen > TimeSpan.Zero)
            {
                io.Console.MarkupLine($"[grey]listening {listen.TotalSeconds:0} s for worker heartbeats, boots and jobs...[/]");
                try
                {
                    await Task.Delay(listen, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // show what was heard
                }
            }
        }

        var workers = seen.Values.OrderBy(w => w.WorkerId, StringComparer.Ordinal).ToList();
        WriteWorkers(io.Console, workers, DateTimeOffset.Now);
        io.Console.MarkupLine("[grey]Workers heard while status listened (--listen; workers beat every Bus:HeartbeatInterval, 2 s by default). The consumers column counts every worker attached to the queue.[/]");
        await WriteModelQueuesAsync(connection, workers, await RegistryAsync(connection, keyPrefix, io.Console, cancellationToken), io.Console, cancellationToken);
        return 0;
    }

    private static void Record(ConcurrentDictionary<string, WorkerSeen> seen, object message)
    {
        var now = DateTimeOffset.Now;
        switch (message)
        {
            case WorkerBooted b:
                seen.AddOrUpdate(b.WorkerId, _ => new WorkerSeen(b.WorkerId, b, 0, now), (_, w) => w with { Booted = b, LastSeen = now });
                break;
            case WorkflowAccepted a:
                seen.AddOrUpdate(a.WorkerId, _ => new WorkerSeen(a.WorkerId, null, 1, now), (_, w) => w with { Jobs = w.Jobs + 1, LastSeen = now });
                break;
            case WorkerHeartbeat h:
                seen.AddOrUpdate(h.WorkerId, _ => new WorkerSeen(h.WorkerId, null, 0, now, h), (_, w) => w with { Heartbeat = Newer(w.Heartbeat, h), LastSeen = now });
                break;
        }
    }

    private static void WriteQueues(IAnsiConsole console, IReadOnlyList<QueueDepth> depths)
    {
        var table = new Table().Title("queues").AddColumns("queue", "ready messages", "consumers");
        foreach (var d in depths)
        {
            table.AddRow(Markup.Escape(d.Queue), d.Messages?.ToString(CultureInfo.InvariantCulture) ?? "[grey]no queue[/]", d.Consumers?.ToString(CultureInfo.InvariantCulture) ?? "");
        }

        console.Write(table);
    }

    // The registry's worker entries (dead ones included); a Redis that does not answer only costs the dead-holder check.
    private static async Task<IReadOnlyList<WorkerHeartbeat>> RegistryAsync(Connection connection, string keyPrefix, IAnsiConsole console, CancellationToken cancellationToken)
    {
        try
        {
            return await FleetRecords.ReadWorkersAsync(connection, keyPrefix, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            console.MarkupLine($"[grey]fleet registry not read ({Markup.Escape(e.Message)}): model queues of dead workers are not shown[/]");
            return [];
        }
    }

    // The model sets the heard and registered workers serve (Routing:Enabled), each with its queue's depth, oldest wait and holders.
    private static async Task WriteModelQueuesAsync(Connection connection, IReadOnlyList<WorkerSeen> workers, IReadOnlyList<WorkerHeartbeat> registry, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var heartbeats = workers.Select(w => w.Heartbeat).OfType<WorkerHeartbeat>().Concat(registry).ToList();
        var sets = heartbeats.SelectMany(h => h.ModelSets ?? []).DistinctBy(s => s.Key).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        if (sets.Count == 0)
        {
            return;
        }

        var routes = new ModelRoutes(connection.Queue);
        var now = DateTimeOffset.UtcNow;
        var depths = await ModelQueueProbe.ProbeAsync(connection, sets.Select(s => (s.Key, routes.ModelQueue(s.Key))), now, cancellationToken);
        var table = new Table().Title("model queues").AddColumns("model set", "models", "ready jobs", "consumers", "oldest wait", "served by");
        foreach (var (set, depth) in sets.Zip(depths))
        {
            var holders = ModelQueueHolders.Of(set, heartbeats, now);
            if (depth.Messages is null && holders.Live.Count == 0)
            {
                continue; // a set of another fleet sharing the key prefix, or a queue deleted by hand
            }

            table.AddRow(
                Markup.Escape(set.Key),
                Markup.Escape(string.Join(", ", set.Models)),
                depth.Messages?.ToString(CultureInfo.InvariantCulture) ?? "[grey]no queue[/]",
                depth.Consumers?.ToString(CultureInfo.InvariantCulture) ?? "",
                depth.OldestWait is { } wait ? $"{wait.TotalSeconds:0.0} s" : "",
                ServedBy(holders));
        }

        console.Write(table);
        console.MarkupLine("[grey]A queue whose holders are all dead keeps its jobs until Routing:ModelQueueWait moves them to the shared queue, or an idle worker takes it on.[/]");
    }

    private static string ServedBy(ModelQueueHolders holders)
    {
        var live = Markup.Escape(string.Join(", ", holders.Live));
        var dead = Markup.Escape(string.Join(", ", holders.Dead));
        return holders.AllDead ? $"[red]ALL HOLDERS DEAD: {dead}[/]" : holders.Dead.Count > 0 ? $"{live} [grey](dead: {dead})[/]" : live;
    }

    private static WorkerHeartbeat Newer(WorkerHeartbeat? current, WorkerHeartbeat next) =>
        current is null || next.SentAt >= current.SentAt ? next : current;

    /// <summary>Age of the last heartbeat and whether the worker has gone quiet for too long.</summary>
    public static (TimeSpan? Age, bool Stale) Liveness(WorkerHeartbeat? heartbeat, DateTimeOffset now)
    {
        if (heartbeat is null)
        {
            return (null, false);
        }

        var age = now - heartbeat.SentAt;
        return (age < TimeSpan.Zero ? TimeSpan.Zero : age, age.TotalMilliseconds > StaleAfterIntervals * heartbeat.IntervalMs);
    }

    private static void WriteWorkers(IAnsiConsole console, IReadOnlyList<WorkerSeen> workers, DateTimeOffset now)
    {
        var table = new Table().Title("workers heard").AddColumns("worker", "boot", "boot ms", "fallback", "jobs", "heartbeat", "models held");
        // With routing on: the model sets each worker serves (their queues are in the model queues table).
        var routing = workers.Any(w => w.Heartbeat?.ModelSets is { Count: > 0 });
        if (routing)
        {
            table.AddColumn("model sets served");
        }

        foreach (var w in workers)
        {
            var mode = w.Booted?.Mode ?? w.Heartbeat?.Mode;
            var (age, stale) = Liveness(w.Heartbeat, now);
            var jobs = w.Heartbeat is { } h ? $"{h.JobsRunning} run, {h.JobsDone} done" : w.Jobs.ToString(CultureInfo.InvariantCulture);
            string[] row = [
                Markup.Escape(w.WorkerId),
                mode?.ToString() ?? "[grey]?[/]",
                w.Booted is null ? "" : w.Booted.Phases.Sum(p => p.Ms).ToString("0", CultureInfo.InvariantCulture),
                Markup.Escape(w.Booted?.FallbackReason?.Kind ?? ""),
                Markup.Escape(jobs),
                age is null ? "[grey]none heard[/]" : $"{age.Value.TotalSeconds:0.0} s ago{(stale ? " [red]STALE[/]" : "")}",
                Markup.Escape(ModelsHeld(w.Heartbeat)),
                Markup.Escape(string.Join(", ", w.Heartbeat?.ModelSets?.Select(s => s.Key) ?? []))];
            table.AddRow(routing ? row : row[..^1]);
        }

        if (workers.Count == 0)
        {
            table.AddRow("[grey]none[/]", "", "", "", "", "", "");
        }

        console.Write(table);
    }

    /// <summary>The models a worker holds, and those that failed to load on it.</summary>
    public static string ModelsHeld(WorkerHeartbeat? heartbeat)
    {
        var held = string.Join(", ", heartbeat?.Models ?? []);
        return heartbeat?.UnloadableModels is { Count: > 0 } bad ? $"{held}{(held.Length > 0 ? "; " : "")}cannot load: {string.Join(", ", bad)}" : held;
    }

    private sealed record WorkerSeen(string WorkerId, WorkerBooted? Booted, int Jobs, DateTimeOffset LastSeen, WorkerHeartbeat? Heartbeat = null);
}
