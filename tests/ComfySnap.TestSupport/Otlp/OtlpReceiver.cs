using System.Collections.Concurrent;
using System.Net;

namespace ComfySnap.TestSupport.Otlp;

/// <summary>
/// A small OTLP/HTTP collector on a free loopback port (HttpListener): accepts POST /v1/traces and
/// /v1/metrics (http/protobuf), answers 200, and keeps what arrived, decoded (or, with
/// <c>keep: false</c>, only counts it: an endpoint that accepts and discards, for the bench).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly bool _keep;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly ConcurrentQueue<OtlpMetric> _metrics = new();
    private readonly ConcurrentQueue<byte[]> _bodies = new();
    private long _requests;
    private long _traceRequests;
    private long _metricRequests;
    private long _bytes;

    private OtlpReceiver(HttpListener listener, int port, bool keep)
    {
        _listener = listener;
        _keep = keep;
        Endpoint = $"http://127.0.0.1:{port}";
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The collector's base address (the exporters append /v1/traces and /v1/metrics).</summary>
    public string Endpoint { get; }

    public IReadOnlyList<OtlpSpan> Spans => [.. _spans];

    public IReadOnlyList<OtlpMetric> Metrics => [.. _metrics];

    /// <summary>Every request body as received (kept only with keep: true), e.g. to search for a secret.</summary>
    public IReadOnlyList<byte[]> Bodies => [.. _bodies];

    public long Requests => Interlocked.Read(ref _requests);

    public long TraceRequests => Interlocked.Read(ref _traceRequests);

    public long MetricRequests => Interlocked.Read(ref _metricRequests);

    public long Bytes => Interlocked.Read(ref _bytes);

    public static OtlpReceiver Start(bool keep = true)
    {
        // A free port can be taken by someone else before we bind it: try a few.
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePorts.Take(1)[0];
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new OtlpReceiver(listener, port, keep);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>Waits until <paramref name="found"/> returns a value from what arrived so far; throws with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public async Task<T> WaitForAsync<T>(Func<OtlpReceiver, T?> found, TimeSpan timeout, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (found(this) is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the OTLP receiver did not get {what} within {timeout} ({Requests} requests, {_spans.Count} spans: "
                    + string.Join(", ", _spans.Select(s => s.Name).Distinct().Take(30)) + "; metrics: " + string.Join(", ", _metrics.Select(m => m.Name).Distinct().Take(30)) + ")");
            }

            await Task.Delay(200);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stop.Token);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var bytes = body.ToArray();
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _bytes, bytes.Length);
            var path = context.Request.Url?.AbsolutePath;
            if (context.Request.HttpMethod != "POST" || path is not ("/v1/traces" or "/v1/metrics"))
            {
                context.Response.StatusCode = 404;
                return;
            }

            Interlocked.Increment(ref path == "/v1/traces" ? ref _traceRequests : ref _metricRequests);
            if (_keep)
            {
                _bodies.Enqueue(bytes);
                if (path == "/v1/traces")
                {
                    OtlpSpan.Decode(bytes).ForEach(_spans.Enqueue);
                }
                else
                {
                    OtlpMetric.Decode(bytes).ForEach(_metrics.Enqueue);
                }
            }

            // An empty Export*ServiceResponse: everything accepted.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
        }
        catch (Exception e) when (e is HttpListenerException or IOException or Google.Protobuf.InvalidProtocolBufferException)
        {
            context.Response.StatusCode = 400;
        }
        finally
        {
            try
            {
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                // the exporter went away: nothing to answer
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
