using System.Diagnostics;
using System.Text.Json;
using ComfySnap.Snapshots;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Tools.Demo;

/// <summary>
/// A worker booted from scratch exactly as the SnapshotBuilder boots the one it snapshots (same
/// environment, same `prepare` command), then resumed at once: the cold side of the demo.
/// </summary>
public sealed class ColdWorker : IAsyncDisposable
{
    private readonly Process _process;

    private ColdWorker(Process process, DemoBoot boot)
    {
        _process = process;
        Boot = boot;
    }

    public DemoBoot Boot { get; }

    public StreamWriter Input => _process.StandardInput;

    public StreamReader Output => _process.StandardOutput;

    public static async Task<ColdWorker> StartAsync(BuildRequest request, string workingDirectory, CancellationToken cancellationToken)
    {
        var info = PreparedWorkerEnvironment.ColdStartInfo(request, workingDirectory);
        var watch = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync(cancellationToken); // logs and native warnings: drained, not shown
        await process.StandardInput.WriteLineAsync(PrepareProtocol.Resume(new ResumeConfig("demo-cold", new Dictionary<string, string?>())).AsMemory(), cancellationToken);
        await process.StandardInput.FlushAsync(cancellationToken);
        var phases = new List<BootPhase>();
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith(PrepareProtocol.ReadyPrefix, StringComparison.Ordinal))
            {
                phases.AddRange(PrepareProtocol.ParseReady(line).Select(p => new BootPhase(p.Name, p.Milliseconds, p.Detail)));
            }
            else if (line.StartsWith(PrepareProtocol.BootedPrefix, StringComparison.Ordinal))
            {
                var report = PrepareProtocol.ParseBooted(line);
                phases.AddRange(report.Phases.Select(p => new BootPhase(p.Name, p.Milliseconds, p.Detail)));
                if (report.Error is not null)
                {
                    process.Kill(entireProcessTree: true);
                    throw new InvalidOperationException($"cold worker: {report.Error}");
                }

                return new ColdWorker(process, new DemoBoot("cold", phases, watch.Elapsed.TotalMilliseconds));
            }
        }

        throw new InvalidOperationException("cold worker exited before BOOTED");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }
}
