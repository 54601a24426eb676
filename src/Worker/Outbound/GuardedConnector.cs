using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace ComfySnap.Worker.Outbound;

/// <summary>
/// The connect step of an outbound HTTP handler: resolves the host itself, checks every address it
/// resolves to against the policy, and connects to a checked address. Because the socket goes to
/// the address that was checked, a DNS answer that changes between check and connect (rebinding)
/// cannot reach a refused address; redirects open their connections through here too.
/// </summary>
public sealed class GuardedConnector(OutboundPolicy policy)
{
    /// <summary>A handler without proxy (a proxy would make the connection instead) whose connections are guarded.</summary>
    public SocketsHttpHandler CreateHandler(int maxRedirects = 5) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = maxRedirects > 0,
        MaxAutomaticRedirections = Math.Max(1, maxRedirects),
        AutomaticDecompression = DecompressionMethods.None,
        ConnectCallback = ConnectAsync,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    };

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new OutboundRefusedException($"{host} resolves to no address");
        }

        // Every address is checked, not only the one used: a host mixing public and private answers is refused.
        foreach (var address in addresses)
        {
            if (policy.Refusal(address) is { } reason)
            {
                throw new OutboundRefusedException($"{host} refused: {reason} (allow it with AllowPrivateNetworks or AllowedNetworks)");
            }
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    /// <summary>The refusal inside an exception HttpClient wrapped, if that is what failed.</summary>
    public static OutboundRefusedException? RefusalIn(Exception error)
    {
        for (var e = (Exception?)error; e is not null; e = e.InnerException)
        {
            if (e is OutboundRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }
}
