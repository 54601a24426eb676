using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ComfySnap.TestSupport;

/// <summary>
/// A loopback TCP forwarder from a free port of its own to one target port, owned by a test or the
/// chaos run. Giving a client its service only through forwarders of its own lets the owner cut
/// that client off (<see cref="Cut"/>: its connections closed, new ones refused for a while)
/// without network namespaces, root or touching anyone else's connections to the same service.
/// </summary>
public sealed class LoopbackForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Socket[]> _open = new();
    private readonly Task _accepting;
    private long _nextId;
    private long _refuseUntil;

    private LoopbackForwarder(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = Task.Run(() => AcceptAsync(_stopping.Token));
    }

    /// <summary>Listens on a free loopback port and forwards every connection to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public static LoopbackForwarder Start(int targetPort) => new(targetPort);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int TargetPort => _targetPort;

    /// <summary>Connections forwarded now.</summary>
    public int OpenConnections => _open.Count;

    /// <summary>True while new connections are refused.</summary>
    public bool IsCut => Stopwatch.GetTimestamp() < Interlocked.Read(ref _refuseUntil);

    /// <summary>Closes every forwarded connection (both sides) and refuses new ones for <paramref name="duration"/>; returns how many it closed.</summary>
    public int Cut(TimeSpan duration)
    {
        Interlocked.Exchange(ref _refuseUntil, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        var closed = 0;
        foreach (var id in _open.Keys)
        {
            if (_open.TryRemove(id, out var sockets))
            {
                CloseAll(sockets);
                closed++;
            }
        }

        return closed;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Cut(TimeSpan.Zero);
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (IsCut)
            {
                // Refused the way a cut-off peer looks to the client: the connection ends at once.
                client.Close(0);
                continue;
            }

            _ = ForwardAsync(client, ct);
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken ct)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var id = Interlocked.Increment(ref _nextId);
        Socket[] pair = [client, upstream];
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, ct);
            _open[id] = pair;
            if (IsCut)
            {
                return; // cut while connecting
            }

            await using var fromClient = new NetworkStream(client, ownsSocket: false);
            await using var fromUpstream = new NetworkStream(upstream, ownsSocket: false);
            // Either direction ending (EOF, reset, a cut) ends the pair: a half-open AMQP link helps nobody.
            await Task.WhenAny(Pump(fromClient, fromUpstream, ct), Pump(fromUpstream, fromClient, ct));
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the target is down or the pair was cut: the client sees its connection end
        }
        finally
        {
            _open.TryRemove(id, out _);
            CloseAll(pair);
        }
    }

    private static async Task Pump(Stream from, Stream to, CancellationToken ct)
    {
        try
        {
            await from.CopyToAsync(to, 64 * 1024, ct);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // ends the pair
        }
    }

    private static void CloseAll(Socket[] sockets)
    {
        foreach (var socket in sockets)
        {
            try
            {
                socket.Close(0);
            }
            catch (ObjectDisposedException)
            {
                // already closed
            }
        }
    }
}
