using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ComfySnap.Gateway.Telemetry;

/// <summary>
/// The gateway's instruments (meter "ComfySnap.Gateway"): how long each stage of a prompt's path
/// takes in this gateway, from POST /prompt to the WebSocket frames (`bench gateway` reports the
/// median per stage). Durations are in milliseconds.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "ComfySnap.Gateway";

    public const string StageInstrument = "comfysnap.gateway.stage.duration";

    private readonly Histogram<double> _stage;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(new MeterOptions(MeterName));
        _stage = meter.CreateHistogram<double>(StageInstrument, "ms", "Time a prompt spends in one stage of the gateway, by stage (see GatewayStages)");
    }

    /// <summary>Records <paramref name="stage"/> from <paramref name="since"/> (a Stopwatch timestamp) until now; returns now, the next stage's start.</summary>
    public long Stage(string stage, long since)
    {
        var now = Stopwatch.GetTimestamp();
        if (_stage.Enabled)
        {
            _stage.Record(Stopwatch.GetElapsedTime(since, now).TotalMilliseconds, new KeyValuePair<string, object?>("stage", stage));
        }

        return now;
    }
}
