using System.Net.Sockets;

namespace ComfySnap.ServiceDefaults.FirstContact;

/// <summary>
/// Why a TCP connection to host:port fails, in the socket's words ("Connection refused", "Name or
/// service not known"): the client libraries only report that they gave up. Used once, when a
/// first connection timed out, to say what is wrong.
/// </summary>
public static class TcpProbe
{
    /// <summary>Null when a TCP connection succeeds, else why not.</summary>
    public static async Task<string?> WhyNotAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(host, port, limit.Token).ConfigureAwait(false);
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0.#} s";
        }
    }
}
