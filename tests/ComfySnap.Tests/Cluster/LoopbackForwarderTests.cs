using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ComfySnap.Tests.Cluster;

/// <summary>
/// The chaos run cuts a worker off one broker node through a forwarder of its own: bytes pass both
/// ways, a cut ends the open connections and refuses new ones for its duration, and then the
/// forwarder serves again.
/// </summary>
public sealed class LoopbackForwarderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Forwards_both_ways_then_a_cut_closes_the_connection_and_refuses_new_ones_until_it_ends()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var echoing = EchoAsync(echo, cts.Token);
        await using var forwarder = LoopbackForwarder.Start(((IPEndPoint)echo.LocalEndpoint).Port);

        using var first = await ConnectAsync(forwarder.Port, cts.Token);
        Assert.Equal("hello", await RoundTripAsync(first, "hello", cts.Token));
        Assert.Equal(1, forwarder.OpenConnections);

        Assert.Equal(1, forwarder.Cut(TimeSpan.FromSeconds(2)));
        Assert.True(forwarder.IsCut);
        Assert.Equal(0, await ReadAsync(first.GetStream(), new byte[16], cts.Token)); // ended by the cut

        // During the cut a new connection ends at once (reset while connecting, or right after).
        Assert.True(await EndsAtOnceAsync(forwarder.Port, cts.Token));

        while (forwarder.IsCut)
        {
            await Task.Delay(100, cts.Token);
        }

        using var after = await ConnectAsync(forwarder.Port, cts.Token);
        Assert.Equal("again", await RoundTripAsync(after, "again", cts.Token));
        await cts.CancelAsync();
        echo.Stop();
        await Task.WhenAny(echoing);
    }

    private static async Task<TcpClient> ConnectAsync(int port, CancellationToken ct)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, ct);
        return client;
    }

    private static async Task<bool> EndsAtOnceAsync(int port, CancellationToken ct)
    {
        TcpClient client;
        try
        {
            client = await ConnectAsync(port, ct);
        }
        catch (SocketException)
        {
            return true;
        }

        using (client)
        {
            return await ReadAsync(client.GetStream(), new byte[16], ct) == 0;
        }
    }

    private static async Task<string> RoundTripAsync(TcpClient client, string text, CancellationToken ct)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct);
        var buffer = new byte[text.Length];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await ReadAsync(stream, buffer.AsMemory(read), ct);
            Assert.True(n > 0, "the forwarder ended the connection");
            read += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    // A read that ends (0) on EOF or on a reset: both are how a cut looks to the client.
    private static async Task<int> ReadAsync(NetworkStream stream, Memory<byte> buffer, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Timeout);
        try
        {
            return await stream.ReadAsync(buffer, bounded.Token);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static async Task EchoAsync(TcpListener listener, CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var socket = await listener.AcceptTcpClientAsync(ct);
                connections.Add(Task.Run(async () =>
                {
                    using (socket)
                    {
                        try
                        {
                            await socket.GetStream().CopyToAsync(socket.GetStream(), ct);
                        }
                        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                        {
                            // the forwarder closed it
                        }
                    }
                }, ct));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        await Task.WhenAll(connections.Select(c => Task.WhenAny(c)));
    }
}
