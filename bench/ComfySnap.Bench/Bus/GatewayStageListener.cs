using System.Diagnostics;
using System.Diagnostics.Metrics;
using ComfySnap.Gateway.Telemetry;

namespace ComfySnap.Bench.Bus;

/// <summary>Collects the in-process gateway's stage durations (<see cref="GatewayMetrics"/>) while <see cref="Recording"/>.</summary>
public sealed class GatewayStageListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<double>> _stages = new(StringComparer.Ordinal);

    public GatewayStageListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && instrument.Name == GatewayMetrics.StageInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Off during warm-up.</summary>
    public bool Recording { get; set; }

    /// <summary>When (a Stopwatch timestamp) the latest prompt's record was written, i.e. its send began.</summary>
    public long LastSendStart { get; private set; }

    /// <summary>The median of each stage, in the order the stages were first seen (a prompt's path).</summary>
    public Dictionary<string, object?> Medians()
    {
        lock (_lock)
        {
            return _stages.ToDictionary(p => p.Key, p => (object?)Stats.Of(p.Value).Median, StringComparer.Ordinal);
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        // Called in line by GatewayMetrics.Stage: now is the end of the stage.
        var now = Stopwatch.GetTimestamp();
        foreach (var tag in tags)
        {
            if (tag.Key != "stage" || tag.Value is not string stage)
            {
                continue;
            }

            if (stage == GatewayStages.PostRecord)
            {
                LastSendStart = now;
            }

            if (Recording)
            {
                lock (_lock)
                {
                    if (!_stages.TryGetValue(stage, out var values))
                    {
                        _stages[stage] = values = [];
                    }

                    values.Add(value);
                }
            }
        }
    }
}
