using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Boot;

/// <summary>Runs named phases in order and records each one's duration; the code reads like the boot table.</summary>
public sealed class PhaseTimer(ILogger logger)
{
    private readonly List<BootPhase> _phases = [];
    private readonly Lock _lock = new(); // the worker's cache and bus connect run side by side

    public IReadOnlyList<BootPhase> Phases
    {
        get
        {
            lock (_lock)
            {
                return [.. _phases];
            }
        }
    }

    public async Task<T> RunAsync<T>(string name, Func<Task<T>> phase, Func<T, string?>? detail = null)
    {
        var watch = Stopwatch.StartNew();
        var result = await phase().ConfigureAwait(false);
        Record(name, watch.Elapsed.TotalMilliseconds, detail?.Invoke(result));
        return result;
    }

    public Task RunAsync(string name, Func<Task> phase) => RunAsync(name, async () =>
    {
        await phase().ConfigureAwait(false);
        return true;
    });

    public void Run(string name, Action phase) => RunAsync(name, () =>
    {
        phase();
        return Task.CompletedTask;
    }).GetAwaiter().GetResult();

    public void Record(string name, double milliseconds, string? detail = null)
    {
        lock (_lock)
        {
            _phases.Add(new BootPhase(name, milliseconds, detail));
        }

        logger.LogInformation("Boot phase {Phase}: {ElapsedMs:0.0} ms {Detail}", name, milliseconds, detail ?? "");
    }
}
