using System.Diagnostics;

namespace ComfySnap.Bench.Bus;

/// <summary>`ComfySnap.Worker serve` as a child process, configured through COMFYSNAP_ environment variables.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();

    private WorkerProcess(Process process) => _process = process;

    public static WorkerProcess Start(BenchContext context, IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo(context.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(context.WorkerDll);
        info.ArgumentList.Add("serve");
        info.Environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        info.Environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var (key, value) in settings)
        {
            info.Environment["COMFYSNAP_" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var worker = new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the worker"));
        worker._process.OutputDataReceived += (_, e) => worker.Keep(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Keep(e.Data);
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The worker's last log lines, for an error message when it dies.</summary>
    public string Tail()
    {
        lock (_lastLines)
        {
            return string.Join(Environment.NewLine, _lastLines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 30)
            {
                _lastLines.Dequeue();
            }
        }
    }
}
