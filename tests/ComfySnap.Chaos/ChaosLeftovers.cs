using System.Text.Json;
using ComfySnap.Snapshots;
using ComfySnap.TestSupport;
using Spectre.Console;

namespace ComfySnap.Chaos;

/// <summary>
/// A chaos run killed outright (SIGKILL, a closed terminal) cannot dispose its cluster: its private
/// RabbitMQ + Redis pair, its workers (restored copies are not its children) and its folder stay
/// behind. Each run records its owner in its folder; the next run clears every folder whose owner
/// is gone before it starts its own.
/// </summary>
public static class ChaosLeftovers
{
    private const string OwnerFile = "owner.json";

    /// <summary>Where every run keeps its folder (one per run id).</summary>
    public static string RunsDirectory => Path.Combine(TestEnvironment.RepoRoot, ".comfysnap", "chaos");

    /// <summary>Records this process as the owner of <paramref name="root"/>; <paramref name="pair"/> null: a cluster run (its processes all name the folder).</summary>
    public static void Claim(string root, PrivateServices? pair)
    {
        var owner = pair is null
            ? new RunOwner(Environment.ProcessId, "", 0, 0, 0, 0, Cluster: true)
            : new RunOwner(Environment.ProcessId, pair.NodeName, pair.RabbitMqPort, pair.RabbitMqDistPort, pair.EpmdPort, pair.RedisPort);
        File.WriteAllText(Path.Combine(root, OwnerFile), JsonSerializer.Serialize(owner));
    }

    public static async Task SweepAsync(string ownRoot, CancellationToken ct)
    {
        if (!Directory.Exists(RunsDirectory))
        {
            return;
        }

        foreach (var root in Directory.EnumerateDirectories(RunsDirectory))
        {
            ct.ThrowIfCancellationRequested();
            if (Path.GetFullPath(root) == Path.GetFullPath(ownRoot) || ReadOwner(root) is not { } owner || IsChaosRun(owner.Pid))
            {
                continue; // ours, not a run folder, or its run is alive
            }

            await ClearAsync(root, owner, ct);
        }
    }

    private static async Task ClearAsync(string root, RunOwner owner, CancellationToken ct)
    {
        if (!owner.Cluster)
        {
            var services = new PrivateServices(Path.Combine(root, "services"), owner.NodeName, owner.RabbitMqPort, owner.RabbitMqDistPort, owner.EpmdPort, owner.RedisPort);
            try
            {
                await services.StopAsync(ct);
            }
            catch (InvalidOperationException e)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]stopping the services of the stale run in {root}: {e.Message}[/]");
            }
        }

        // Workers and restored copies map the run's model and snapshot files, and a cluster's broker
        // nodes (their epmd too), Redis nodes and Sentinels name its folder: whatever still does is its.
        var killed = 0;
        foreach (var pid in ProcessesUsing(root))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
                killed++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // gone meanwhile
            }
        }

        Directory.Delete(root, recursive: true);
        AnsiConsole.MarkupLineInterpolated($"cleared the leftovers of a killed chaos run (owner pid {owner.Pid} gone): services stopped, {killed} process(es) killed, {root} deleted");
    }

    private static RunOwner? ReadOwner(string root)
    {
        try
        {
            return JsonSerializer.Deserialize<RunOwner>(File.ReadAllText(Path.Combine(root, OwnerFile)));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static bool IsChaosRun(int pid)
    {
        try
        {
            // A reused pid belongs to some other program: its cmdline does not name the chaos run.
            return ProcFs.IsAlive(pid) && File.ReadAllText($"/proc/{pid}/cmdline").Contains("ComfySnap.Chaos", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static IEnumerable<int> ProcessesUsing(string root)
    {
        var prefix = Path.GetFullPath(root) + "/";
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            bool uses;
            try
            {
                uses = File.ReadAllText($"/proc/{pid}/cmdline").Contains(prefix, StringComparison.Ordinal)
                    || File.ReadAllText($"/proc/{pid}/environ").Contains(prefix, StringComparison.Ordinal)
                    || ProcFs.MappedFiles(pid).Any(f => f.StartsWith(prefix, StringComparison.Ordinal));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // exited meanwhile
            }

            if (uses)
            {
                yield return pid;
            }
        }
    }

    private sealed record RunOwner(int Pid, string NodeName, int RabbitMqPort, int RabbitMqDistPort, int EpmdPort, int RedisPort, bool Cluster = false);
}
