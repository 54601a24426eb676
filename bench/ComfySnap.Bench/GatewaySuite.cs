using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ComfySnap.Bench.Bus;
using ComfySnap.Contracts;
using ComfySnap.Gateway.Hosting;
using ComfySnap.TestSupport;

namespace ComfySnap.Bench;

/// <summary>
/// `gateway`: what the ComfyUI-compatible gateway adds. One `serve` worker and a gateway (in this
/// process) in front of it; a workflow answered from the output cache. Alternately: POST /prompt ->
/// `executed` on the client's WebSocket, and the bus round trip (send RunWorkflow -> WorkflowCompleted)
/// of the same workflow, so both series see the same machine state.
/// </summary>
public sealed class GatewaySuite(BenchContext context, int samples)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        await using var bench = await BusBench.StartAsync(context, workerCount: 1, ct);
        using var stages = new GatewayStageListener();
        var app = GatewayHostFactory.Build([], bench.GatewaySettings());
        await app.StartAsync(ct);
        try
        {
            var address = new Uri(app.Urls.First());
            // Ready once the worker's node catalog arrived (it publishes it right after WorkerBooted).
            await HttpProbe.WaitForOkAsync(new Uri(address, "/ready"), Timeout, ct);
            using var http = new HttpClient { BaseAddress = address, Timeout = Timeout };
            await using var socket = await ExecutedListener.ConnectAsync(address, ct);
            var workflowJson = TinyWorkflows.Render(4242);
            var prompt = JsonNode.Parse(workflowJson)!;

            // Through the gateway: prompt_id chosen here so the WebSocket wait is registered before the POST.
            var posts = new List<double>();
            // Where the gateway path's time goes, seen from here: when this process's own bus client
            // heard the gateway job's WorkflowCompleted (the worker's answer, as on the bus path), and
            // when the prompt ended on the WebSocket (`executing` null: its history entry is there).
            var heard = new List<double>();
            var relayed = new List<double>();
            var done = new List<double>();
            var untilSend = new List<double>();
            async Task<(double Ms, WorkflowCompleted Completed)> ViaGatewayAsync()
            {
                var promptId = Guid.NewGuid().ToString();
                var answer = bench.Results.Expect(promptId); // the bus event too, to check it was a cache hit
                var executed = socket.Expect(promptId);
                var ended = socket.ExpectEnd(promptId);
                var start = Stopwatch.GetTimestamp();
                using var response = await http.PostAsJsonAsync("/prompt", new JsonObject { ["prompt"] = prompt.DeepClone(), ["client_id"] = socket.ClientId, ["prompt_id"] = promptId }, ct);
                response.EnsureSuccessStatusCode();
                posts.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                untilSend.Add(Stopwatch.GetElapsedTime(start, stages.LastSendStart).TotalMilliseconds);
                var at = await executed.WaitAsync(Timeout, ct);
                var bus = await answer.WaitAsync(Timeout, ct);
                var completed = bus.Completed ?? throw new InvalidOperationException($"prompt {promptId} failed");
                var endedAt = await ended.WaitAsync(Timeout, ct);
                heard.Add(Stopwatch.GetElapsedTime(start, bus.ReceivedAt).TotalMilliseconds);
                relayed.Add(Stopwatch.GetElapsedTime(bus.ReceivedAt, at).TotalMilliseconds);
                done.Add(Stopwatch.GetElapsedTime(start, endedAt).TotalMilliseconds);
                return (Stopwatch.GetElapsedTime(start, at).TotalMilliseconds, completed);
            }

            async Task<(double Ms, WorkflowCompleted Completed)> ViaBusAsync(int i)
            {
                var start = Stopwatch.GetTimestamp();
                var answer = await bench.RoundTripAsync(new RunWorkflow($"gateway-bus-{bench.Id}-{i}", workflowJson), Timeout, ct);
                return (Stopwatch.GetElapsedTime(start, answer.ReceivedAt).TotalMilliseconds,
                    answer.Completed ?? throw new InvalidOperationException($"bus job {i} failed: {answer.Failed?.Message}"));
            }

            var primed = await ViaGatewayAsync(); // renders once; every later job is a cache hit
            if (primed.Completed.FromCache)
            {
                throw new InvalidOperationException("the priming prompt was already cached");
            }

            var gateway = new List<double>();
            var bus = new List<double>();
            for (var i = -20; i < samples; i++) // 20 warm-up pairs, not recorded
            {
                stages.Recording = i >= 0;
                var g = await ViaGatewayAsync();
                var b = await ViaBusAsync(i);
                if (!g.Completed.FromCache || !b.Completed.FromCache)
                {
                    throw new InvalidOperationException("a job of the cached workflow was not a cache hit");
                }

                if (i >= 0)
                {
                    gateway.Add(g.Ms);
                    bus.Add(b.Ms);
                }
            }

            bench.EnsureWorkersAlive();
            var viaGateway = Stats.Of([.. gateway]);
            var viaBus = Stats.Of([.. bus]);
            var heardBus = Stats.Of([.. heard.TakeLast(samples)]);
            return new Dictionary<string, object?>
            {
                ["gateway_executed_ms_p50"] = viaGateway.Median,
                ["gateway_executed_ms_p99"] = viaGateway.P99,
                ["bus_round_trip_ms_p50"] = viaBus.Median,
                ["bus_round_trip_ms_p99"] = viaBus.P99,
                // The target: the gateway adds < 2 ms p50.
                ["gateway_added_ms_p50"] = viaGateway.Median - viaBus.Median,
                // The same from each pair (a gateway job and the bus job right after it): steadier on a loaded host.
                ["gateway_added_ms_paired_p50"] = Stats.Of([.. gateway.Zip(bus, (g, b) => g - b)]).Median,
                ["gateway_executed_ms"] = viaGateway,
                // Part of the above: validating, recording and sending the prompt, until /prompt answered.
                ["gateway_post_ms"] = Stats.Of([.. posts.TakeLast(samples)]),
                ["bus_round_trip_ms"] = viaBus,
                // The breakdown (medians). Forward: POST until this process's bus client heard the
                // gateway job's WorkflowCompleted, less the bus round trip. Back: from then until `executed`.
                ["gateway_forward_added_ms_p50"] = heardBus.Median - viaBus.Median,
                ["gateway_back_added_ms_p50"] = Stats.Of([.. relayed.TakeLast(samples)]).Median,
                ["gateway_heard_completed_ms"] = heardBus,
                // Of the forward part: POST until the gateway began the send (HTTP, parse, validation, the record).
                ["gateway_until_send_ms"] = Stats.Of([.. untilSend.TakeLast(samples)]),
                // Until the prompt ended on the WebSocket (`executing` null, after its history entry was written).
                ["gateway_done_ms"] = Stats.Of([.. done.TakeLast(samples)]),
                // Inside the gateway, per stage (GatewayStages), medians in ms.
                ["gateway_stages_ms_p50"] = stages.Medians(),
            };
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    /// <summary>A ComfyUI WebSocket client that timestamps the first `executed` message of each prompt.</summary>
    private sealed class ExecutedListener : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _waits = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _ends = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _reader = Task.CompletedTask;

        public string ClientId { get; } = Guid.NewGuid().ToString("N");

        public static async Task<ExecutedListener> ConnectAsync(Uri http, CancellationToken ct)
        {
            var listener = new ExecutedListener();
            var ws = new UriBuilder(http) { Scheme = "ws", Path = "/ws", Query = $"clientId={listener.ClientId}" }.Uri;
            await listener._socket.ConnectAsync(ws, ct);
            listener._reader = Task.Run(listener.ReadAsync, CancellationToken.None);
            return listener;
        }

        public Task<long> Expect(string promptId) =>
            _waits.GetOrAdd(promptId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        /// <summary>When the prompt ended: ComfyUI's `executing` with node null.</summary>
        public Task<long> ExpectEnd(string promptId) =>
            _ends.GetOrAdd(promptId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _reader;
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                // the socket is going away anyway
            }

            _socket.Dispose();
            _stop.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            while (!_stop.IsCancellationRequested)
            {
                var part = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (part.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage)
                {
                    continue;
                }

                var at = Stopwatch.GetTimestamp();
                if (part.MessageType == WebSocketMessageType.Text
                    && JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length)) is { } json
                    && json["data"]?["prompt_id"]?.GetValue<string>() is { } promptId)
                {
                    var type = json["type"]?.GetValue<string>();
                    if (type == "executed" && _waits.TryGetValue(promptId, out var wait))
                    {
                        wait.TrySetResult(at);
                    }
                    else if (type == "executing" && json["data"]?["node"] is null && _ends.TryGetValue(promptId, out var end))
                    {
                        end.TrySetResult(at);
                    }
                }

                message.SetLength(0);
            }
        }
    }
}
