using System.Diagnostics;
using ComfySnap.Snapshots;
using ComfySnap.Tests.Support;

namespace ComfySnap.Tests.Worker.Support;

/// <summary>`ComfySnap.Worker serve` as a child process, configured through COMFYSNAP_ environment variables.</summary>
public sealed class ChildWorker : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private ChildWorker(Process process) => _process = process;

    /// <summary>Every line the worker wrote to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    public static async Task<ChildWorker> StartAsync(IReadOnlyDictionary<string, string?> settings, string workerId)
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
        foreach (var (k, v) in settings)
        {
            info.Environment["COMFYSNAP_" + k.Replace(":", "__", StringComparison.Ordinal)] = v ?? "";
        }

        info.Environment["COMFYSNAP_Bus__WorkerId"] = workerId;
        var worker = new ChildWorker(Process.Start(info)!);
        worker._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker._output.Enqueue(e.Data);
            }

            if (e.Data?.Contains($"Worker {workerId} ready", StringComparison.Ordinal) == true)
            {
                worker._ready.TrySetResult();
            }
        };
        worker._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                worker._output.Enqueue(e.Data);
            }
        };
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        await worker._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return worker;
    }

    /// <summary>SIGKILL: no graceful stop, the unacknowledged message must go back to the queue.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, as a container runtime sends on stop: the worker should shut down gracefully.</summary>
    public void Terminate()
    {
        if (!PosixSignals.TrySend(_process.Id, PosixSignals.SigTerm, out var errno))
        {
            throw new InvalidOperationException($"could not send SIGTERM to {_process.Id} (errno {errno})");
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
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
