using System.Threading.Channels;
using ComfySnap.Contracts;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Jobs;

/// <summary>
/// Sends one job's WorkflowProgress events in order, conflated: while one event waits for its
/// broker confirm only the newest is kept, so a fast job is never slowed down by its own progress.
/// Stopping drops what was not sent yet (stale once the job is over) and waits for the one in flight.
/// </summary>
public sealed class ProgressPublisher : IAsyncDisposable
{
    private readonly Channel<WorkflowProgress> _pending = Channel.CreateBounded<WorkflowProgress>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
        SingleWriter = true,
    });

    private readonly CancellationTokenSource _stop;
    private readonly Task _pump;

    public ProgressPublisher(IJobPublisher publisher, ILogger logger, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _pump = PumpAsync(publisher, logger, cancellationToken);
    }

    public void Report(WorkflowProgress progress) => _pending.Writer.TryWrite(progress);

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task PumpAsync(IJobPublisher publisher, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var progress in _pending.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                await publisher.PublishNowAsync(progress, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The job is over (or the worker is stopping).
        }
        catch (Exception e)
        {
            logger.LogWarning("Progress events stopped: {Reason}", e.Message);
        }
    }
}
