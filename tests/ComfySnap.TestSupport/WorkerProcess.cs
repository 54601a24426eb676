using System.Diagnostics;
using ComfySnap.Snapshots;

namespace ComfySnap.TestSupport;

/// <summary>
/// `ComfySnap.Worker serve` as a child process, configured through COMFYSNAP_ environment variables
/// on top of the minimal child environment; keeps its last log lines for error messages.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable, IDisposable
{
    private const int TailLines = 40;
    private readonly Process _process;
    private readonly string? _readyLine;
    private readonly Queue<string> _lastLines = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process, string? readyLine)
    {
        _process = process;
        _readyLine = readyLine;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the worker; <paramref name="workerId"/> (when given) becomes Bus:WorkerId.</summary>
    public static WorkerProcess Start(IReadOnlyDictionary<string, string?> settings, string? workerId = null, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var info = new ProcessStartInfo(TestEnvironment.Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(TestEnvironment.ProjectDll("src/Worker", "ComfySnap.Worker"));
        info.ArgumentList.Add("serve");
        info.Environment.Clear();
        foreach (var (k, v) in TestEnvironment.ChildEnvironment())
        {
            info.Environment[k] = v;
        }

        info.Environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        foreach (var (k, v) in extraEnvironment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        foreach (var (k, v) in settings)
        {
            info.Environment[SettingVariable(k)] = v ?? "";
        }

        if (workerId is not null)
        {
            info.Environment[SettingVariable("Bus:WorkerId")] = workerId;
        }

        var worker = new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the worker"), workerId is null ? null : $"Worker {workerId} ready");
        worker._process.OutputDataReceived += (_, e) => worker.Keep(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Keep(e.Data);
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Starts the worker and waits for its "Worker ID ready" log line (an in-place boot, not a snapshot restore).</summary>
    public static async Task<WorkerProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string workerId, TimeSpan? readyTimeout = null)
    {
        var worker = Start(settings, workerId);
        try
        {
            await worker._ready.Task.WaitAsync(readyTimeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            var tail = worker.Tail();
            await worker.DisposeAsync();
            throw new TimeoutException($"worker {workerId} was not ready within {readyTimeout ?? TimeSpan.FromSeconds(60)}; its last lines:{Environment.NewLine}{tail}");
        }

        return worker;
    }

    /// <summary>The configuration key as the environment variable the worker reads (COMFYSNAP_Section__Key).</summary>
    public static string SettingVariable(string key) => "COMFYSNAP_" + key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>The worker's last log lines, for an error message when it dies.</summary>
    public string Tail()
    {
        lock (_lastLines)
        {
            return string.Join(Environment.NewLine, _lastLines);
        }
    }

    /// <summary>SIGKILL to the whole tree: no graceful stop, an unacknowledged message must go back to the queue.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, as a container runtime sends on stop: the worker should shut down gracefully.</summary>
    public void Terminate() => Signal(PosixSignals.SigTerm);

    /// <summary>Sends a signal to the worker process itself (SIGSTOP/SIGCONT freeze and thaw it).</summary>
    public void Signal(int signal)
    {
        if (!PosixSignals.TrySend(_process.Id, signal, out var errno))
        {
            throw new InvalidOperationException($"could not send signal {signal} to {_process.Id} (errno {errno})");
        }
    }

    /// <summary>The exit code, or null when the worker is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (_readyLine is not null && line.Contains(_readyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > TailLines)
            {
                _lastLines.Dequeue();
            }
        }
    }
}
