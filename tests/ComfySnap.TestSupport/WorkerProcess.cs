using System.Diagnostics;
using ComfySnap.Snapshots;

namespace ComfySnap.TestSupport;

/// <summary>
/// `ComfySnap.Worker serve` as a child process, configured through COMFYSNAP_ environment variables
/// on top of the minimal child environment; keeps its last log lines for error messages.
/// </summary>
public sealed partial class WorkerProcess : IAsyncDisposable, IDisposable
{
    private const int TailLines = 40;
    private readonly Process _process;
    private readonly string? _readyLine;
    private readonly string? _jsonReadyLine;
    private readonly Queue<string> _lastLines = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<string>? _onLine;

    private WorkerProcess(Process process, string? readyLine, Action<string>? onLine)
    {
        _process = process;
        _readyLine = readyLine;
        _jsonReadyLine = readyLine?.Replace("Worker ", "Worker \\\"", StringComparison.Ordinal).Replace(" ready", "\\\" ready", StringComparison.Ordinal);
        _onLine = onLine;
    }

    public int Pid => _process.Id;

    /// <summary>
    /// The host pid of the copy `serve` restored from a snapshot (from its "Restored snapshot ID as pid
    /// N" line, logged at Information), or null. criu detaches that copy: it is not in this tree.
    /// </summary>
    public int? RestoredPid { get; private set; }

    /// <summary>Every line the worker wrote to stdout so far (e.g. to parse its JSON logs).</summary>
    public IReadOnlyList<string> OutputLines => [.. _output];

    /// <summary>True once the process ended (or this object was disposed).</summary>
    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Starts the worker; <paramref name="workerId"/> (when given) becomes Bus:WorkerId;
    /// <paramref name="onLine"/> sees every stdout/stderr line (from the reader threads);
    /// <paramref name="environment"/> adds variables as they are (e.g. OTEL_EXPORTER_OTLP_ENDPOINT).
    /// </summary>
    public static WorkerProcess Start(IReadOnlyDictionary<string, string?> settings, string? workerId = null, Action<string>? onLine = null, IReadOnlyDictionary<string, string>? environment = null)
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
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
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

        var worker = new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the worker"), workerId is null ? null : ReadyLine(workerId), onLine);
        worker._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker._output.Enqueue(e.Data);
            }

            worker.Keep(e.Data);
        };
        worker._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker._errors.Enqueue(e.Data);
            }

            worker.Keep(e.Data);
        };
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>
    /// Starts the worker and waits for its "Worker ID ready" log line. The id names the worker's
    /// exclusive cancel queue on the shared broker: make it unique (other suites run beside this one).
    /// </summary>
    public static async Task<WorkerProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string workerId, TimeSpan? readyTimeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var worker = Start(settings, workerId, environment: environment);
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

    /// <summary>What the worker logs once it consumes (a restored worker's lines come through its `serve` process).</summary>
    public static string ReadyLine(string workerId) => $"Worker {workerId} ready";

    /// <summary>The configuration key as the environment variable the worker reads (COMFYSNAP_Section__Key).</summary>
    public static string SettingVariable(string key) => "COMFYSNAP_" + key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>Every line the worker wrote so far, stdout then stderr, e.g. to search for a leaked secret.</summary>
    public IReadOnlyList<string> Output => [.. _output, .. _errors];

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
        // A restored copy outlives a `serve` killed under it (it keeps consuming): never leave one behind.
        if (RestoredPid is { } restored)
        {
            PosixSignals.TrySend(restored, PosixSignals.SigKill, out _);
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already disposed: nothing left to kill
        }
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

        if (RestoredPidLine().Match(line) is { Success: true } restored)
        {
            RestoredPid = int.Parse(restored.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        _onLine?.Invoke(line);

        // Text logs render the worker id bare; JSON logs (Logging:Format=json) quote and escape it.
        if (_readyLine is not null && (line.Contains(_readyLine, StringComparison.Ordinal) || line.Contains(_jsonReadyLine!, StringComparison.Ordinal)))
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

    [System.Text.RegularExpressions.GeneratedRegex(@"Restored snapshot \S+ as pid (\d+)")]
    private static partial System.Text.RegularExpressions.Regex RestoredPidLine();
}
