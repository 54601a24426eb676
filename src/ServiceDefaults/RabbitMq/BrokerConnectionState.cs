namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>
/// Whether this program's bus has connected once. Before that, a failure is first contact (the
/// program ends with one line, and the client library's own retry warnings are not shown); after
/// it, an outage the client recovers from.
/// </summary>
public sealed class BrokerConnectionState
{
    private volatile bool _connected;

    public bool Connected => _connected;

    public void MarkConnected() => _connected = true;
}
