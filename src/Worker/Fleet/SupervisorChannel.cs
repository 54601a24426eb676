using ComfySnap.Snapshots;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// A restored worker's control channel to its `serve` supervisor (its stdout and stdin), attached
/// after BOOTED. Absent in a cold-booted worker: there is no supervisor that could restore another
/// snapshot in its place.
/// </summary>
public sealed class SupervisorChannel : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TextReader? _input;
    private TextWriter? _output;

    public bool IsAttached => _output is not null;

    public void Attach(TextReader input, TextWriter output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>Asks the supervisor for a parked copy of model set <paramref name="name"/>; true once it has one, else the reason.</summary>
    public async Task<(bool Ready, string? Reason)> RequestSwitchAsync(string name, string setKey, DateTimeOffset neededAt, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_input is null || _output is null)
        {
            return (false, "not a restored worker under a `serve` supervisor: nothing can restore another snapshot in its place");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await _output.WriteLineAsync(SwitchProtocol.Request(name, setKey, neededAt).AsMemory(), deadline.Token).ConfigureAwait(false);
            await _output.FlushAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                while (await _input.ReadLineAsync(deadline.Token).ConfigureAwait(false) is { } line)
                {
                    if (SwitchProtocol.ParseAnswer(line) is { } answer && answer.Name == name)
                    {
                        return (answer.Ready, answer.Reason);
                    }
                }

                return (false, "the supervisor closed the control channel");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A later answer to this request is skipped by the next one (it names this set).
                return (false, $"the supervisor did not park a copy of {name} within {timeout.TotalSeconds:0} s (Snapshot:SwitchTimeout)");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
