using System.Diagnostics;
using ComfySnap.Contracts;

namespace ComfySnap.TestSupport;

/// <summary>Every event a test client received, with its arrival time; waits for the one a test needs.</summary>
public sealed class EventCollector
{
    private readonly Lock _lock = new();
    private readonly List<(object Message, long Timestamp)> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Add(object message)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _events.Add((message, Stopwatch.GetTimestamp()));
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public IReadOnlyList<T> All<T>() => Snapshot().Select(e => e.Message).OfType<T>().ToList();

    public async Task<(T Message, long Timestamp)> WaitAsync<T>(Func<T, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                foreach (var (message, timestamp) in _events)
                {
                    if (message is T t && match(t))
                    {
                        return (t, timestamp);
                    }
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                // Counts, not the list: on the shared broker this collector also sees every other test's events.
                throw new TimeoutException($"no {typeof(T).Name} matching within {timeout ?? TimeSpan.FromSeconds(60)}; got: "
                    + string.Join(", ", Snapshot().GroupBy(e => e.Message.GetType().Name).Select(g => $"{g.Key} x{g.Count()}")));
            }
        }
    }

    /// <summary>The job's answer: WorkflowCompleted or WorkflowFailed.</summary>
    public async Task<object> ResultAsync(string jobId, TimeSpan? timeout = null) =>
        (await WaitAsync<object>(m => m is WorkflowCompleted c && c.JobId == jobId || m is WorkflowFailed f && f.JobId == jobId, timeout)).Message;

    private List<(object Message, long Timestamp)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _events];
        }
    }
}
