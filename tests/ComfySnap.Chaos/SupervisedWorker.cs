using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using ComfySnap.Snapshots;
using ComfySnap.TestSupport;

namespace ComfySnap.Chaos;

/// <summary>
/// One worker slot: runs `serve` (which restores the snapshot), and starts it again, as a new
/// incarnation with a new worker id, whenever it dies. Faults target the process that does the
/// work: the restored copy (not a child of `serve`: criu detaches it) or, after a cold-boot
/// fallback, `serve` itself.
/// </summary>
public sealed partial class SupervisedWorker : IAsyncDisposable
{
    private readonly int _slot;
    private readonly string _idPrefix;
    private readonly Func<string, IReadOnlyDictionary<string, string?>> _settings;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _killed;
    private readonly ConcurrentDictionary<string, string> _fenced;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private Task? _loop;
    private Incarnation? _current;
    private int _incarnations;
    private int _earlyDeaths;

    public SupervisedWorker(int slot, string idPrefix, Func<string, IReadOnlyDictionary<string, string?>> settings, ConcurrentDictionary<string, DateTimeOffset> killed,
        ConcurrentDictionary<string, string> fenced)
    {
        _slot = slot;
        _idPrefix = idPrefix;
        _settings = settings;
        _killed = killed;
        _fenced = fenced;
    }

    public int Starts => _incarnations;

    /// <summary>The worker id of the current incarnation when it is ready; null otherwise.</summary>
    public string? ReadyWorkerId
    {
        get
        {
            lock (_lock)
            {
                return _current is { Ready: true } c && !c.Process.HasExited ? c.WorkerId : null;
            }
        }
    }

    public string? LastLines { get; private set; }

    public void Start() => _loop = Task.Run(() => SuperviseAsync(_stopping.Token));

    /// <summary>True when the current incarnation consumes (its ready line was seen) and is not frozen.</summary>
    public bool IsReady
    {
        get
        {
            lock (_lock)
            {
                return _current is { Ready: true, Frozen: false } c && !c.Process.HasExited;
            }
        }
    }

    /// <summary>SIGKILL to the working process; the supervisor then starts a new incarnation. Null when not ready.</summary>
    public string? Kill()
    {
        Incarnation? target;
        lock (_lock)
        {
            target = _current is { Ready: true } c ? c : null;
        }

        if (target is null)
        {
            return null;
        }

        _killed[target.WorkerId] = DateTimeOffset.UtcNow;
        PosixSignals.TrySend(target.WorkPid, PosixSignals.SigKill, out _);
        target.Process.Kill();
        return target.WorkerId;
    }

    /// <summary>SIGSTOP to the working process for <paramref name="duration"/> (<paramref name="stopped"/> right after), then SIGCONT. Null when not ready.</summary>
    public async Task<string?> FreezeAsync(TimeSpan duration, Action stopped, CancellationToken ct)
    {
        Incarnation? target;
        lock (_lock)
        {
            target = _current is { Ready: true, Frozen: false } c ? c : null;
            if (target is not null)
            {
                target.Frozen = true;
            }
        }

        if (target is null)
        {
            return null;
        }

        PosixSignals.TrySend(target.WorkPid, PosixSignals.SigStop, out _);
        stopped();
        try
        {
            await Task.Delay(duration, ct);
        }
        finally
        {
            PosixSignals.TrySend(target.WorkPid, PosixSignals.SigCont, out _);
            target.Frozen = false;
        }

        return target.WorkerId;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Incarnation? current;
        lock (_lock)
        {
            current = _current;
        }

        if (current is not null)
        {
            PosixSignals.TrySend(current.WorkPid, PosixSignals.SigCont, out _);
            PosixSignals.TrySend(current.WorkPid, PosixSignals.SigKill, out _);
            current.Process.Kill();
        }

        if (_loop is not null)
        {
            await _loop;
        }
    }

    private async Task SuperviseAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var number = Interlocked.Increment(ref _incarnations);
            var workerId = $"{_idPrefix}w{_slot}-{number}";
            Incarnation? incarnation = null;
            var process = WorkerProcess.Start(_settings(workerId), workerId, line =>
            {
                incarnation?.See(line);
                if (FencedLine().Match(line) is { Success: true } fenced)
                {
                    _fenced[fenced.Groups[1].Value] = workerId;
                }
            });
            incarnation = new Incarnation(workerId, process);
            lock (_lock)
            {
                _current = incarnation;
            }

            while (!ct.IsCancellationRequested && await process.WaitForExitAsync(TimeSpan.FromMilliseconds(250)) is null)
            {
            }

            LastLines = process.Tail();
            if (!incarnation.Ready && !ct.IsCancellationRequested && Interlocked.Increment(ref _earlyDeaths) <= 2)
            {
                // Not a fault the run injected: show why, the run's answer alone would not say.
                Spectre.Console.AnsiConsole.MarkupLineInterpolated($"[yellow]{workerId} exited before it was ready; its last lines:[/]");
                Spectre.Console.AnsiConsole.WriteLine(LastLines);
            }

            // A restored copy outlives a `serve` that died: never leave one behind.
            if (incarnation.RestoredPid is { } restored)
            {
                PosixSignals.TrySend(restored, PosixSignals.SigKill, out _);
            }

            lock (_lock)
            {
                _current = null;
            }

            await process.DisposeAsync();
            if (!ct.IsCancellationRequested)
            {
                await Task.Delay(300, CancellationToken.None);
            }
        }
    }

    // JobRunner's warning when a run's lease was taken over (README "One JobId, one run").
    [GeneratedRegex(@"Job (\S+) fenced: run ")]
    private static partial Regex FencedLine();

    /// <summary>One start of the slot's worker.</summary>
    private sealed class Incarnation(string workerId, WorkerProcess process)
    {
        public string WorkerId { get; } = workerId;

        public WorkerProcess Process { get; } = process;

        public int? RestoredPid => Process.RestoredPid;

        public bool Ready { get; private set; }

        public bool Frozen { get; set; }

        public int WorkPid => RestoredPid ?? Process.Pid;

        public void See(string line)
        {
            if (line.Contains(WorkerProcess.ReadyLine(WorkerId), StringComparison.Ordinal))
            {
                Ready = true;
            }
        }
    }
}
