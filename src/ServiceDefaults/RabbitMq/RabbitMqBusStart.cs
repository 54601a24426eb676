using ComfySnap.ServiceDefaults.FirstContact;
using MassTransit;
using RabbitMQ.Client.Exceptions;

namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>
/// Starts a bus on RabbitMQ for the first time: waits up to Bus:RabbitMq:ConnectTimeout for a
/// broker that is still starting, and turns what cannot heal (a refused login, a rejected
/// certificate, nothing answering in time) into a <see cref="FirstContactException"/> that names
/// the setting to change. MassTransit alone would retry most of these forever.
/// </summary>
public static class RabbitMqBusStart
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static async Task StartAsync(IBusControl bus, RabbitMqOptions rabbit, BrokerCertificateValidator certificates, BrokerConnectionState state, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(rabbit.ConnectTimeout);
        var started = bus.StartAsync(limit.Token);
        try
        {
            if (await Task.WhenAny(started, certificates.Rejected).ConfigureAwait(false) != started)
            {
                // Stop the client's retries; the abandoned start's fault is the rejection, already reported.
                await limit.CancelAsync().ConfigureAwait(false);
                _ = started.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw await certificates.Rejected.ConfigureAwait(false);
            }

            await started.ConfigureAwait(false);
            state.MarkConnected();
        }
        catch (Exception e) when (e is not FirstContactException && !cancellationToken.IsCancellationRequested)
        {
            if (certificates.Rejected.IsCompleted)
            {
                throw await certificates.Rejected.ConfigureAwait(false);
            }

            throw await DescribeAsync(e, rabbit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The one line for a bus start that failed with <paramref name="e"/>.</summary>
    public static async Task<FirstContactException> DescribeAsync(Exception e, RabbitMqOptions rabbit, CancellationToken cancellationToken)
    {
        if (Chain(e).OfType<AuthenticationFailureException>().Any())
        {
            return new FirstContactException($"RabbitMQ at {rabbit.Endpoint} refused the login for user '{rabbit.Username}': set Bus:RabbitMq:Username/Password (or COMFYSNAP_Bus__RabbitMq__Password_FILE)", e);
        }

        // Given up on (the start timed out), or failed on a connection that never opened.
        return e is OperationCanceledException || Chain(e).Any(x => x is ConnectFailureException or System.Net.Sockets.SocketException)
            ? new FirstContactException(await UnreachableAsync(rabbit, cancellationToken).ConfigureAwait(false), e)
            : new FirstContactException($"RabbitMQ at {rabbit.Endpoint} refused the connection ({Chain(e).Last().Message}): check Bus:RabbitMq:VirtualHost, UseTls and the user's permissions", e);
    }

    public static async Task<string> UnreachableAsync(RabbitMqOptions rabbit, CancellationToken cancellationToken) =>
        FirstContactMessages.Unreachable("RabbitMQ", rabbit.Endpoint, await TcpProbe.WhyNotAsync(FirstNode(rabbit).Host, FirstNode(rabbit).Port, ProbeTimeout, cancellationToken).ConfigureAwait(false),
            rabbit.ConnectTimeout, "Bus:RabbitMq:Host/Port", "check Bus:RabbitMq:Port and Bus:RabbitMq:UseTls (amqps needs the broker's TLS port)");

    private static (string Host, int Port) FirstNode(RabbitMqOptions rabbit) =>
        rabbit.Endpoints.Count > 0 ? rabbit.Endpoints[0] : (rabbit.Host ?? "", rabbit.Port);

    // The exception and its inner ones, outermost first (an aggregate's first branch).
    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? current = e; current is not null; current = current is AggregateException a ? a.InnerExceptions.FirstOrDefault() : current.InnerException)
        {
            yield return current;
        }
    }
}
