using System.Diagnostics;
using System.Diagnostics.Metrics;
using ComfySnap.Gateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.Gateway;

public sealed class GatewayMetricsTests
{
    [Fact]
    public void Stage_records_the_time_since_its_start_under_its_name_and_returns_the_next_stages_start()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var metrics = new GatewayMetrics(factory);
        var seen = new List<(string? Stage, double Ms)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this test's meter: gateways of other tests publish the same instrument.
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == GatewayMetrics.StageInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => seen.Add((tags.ToArray().Single(t => t.Key == "stage").Value as string, value)));
        listener.Start();

        var tenMillisecondsAgo = Stopwatch.GetTimestamp() - (Stopwatch.Frequency / 100);
        var next = metrics.Stage(GatewayStages.PostRead, tenMillisecondsAgo);
        var last = metrics.Stage(GatewayStages.PostValidate, next);

        Assert.Equal([GatewayStages.PostRead, GatewayStages.PostValidate], seen.Select(s => s.Stage));
        Assert.InRange(seen[0].Ms, 10, 60_000);
        Assert.InRange(seen[1].Ms, 0, Stopwatch.GetElapsedTime(next).TotalMilliseconds);
        Assert.InRange(next, tenMillisecondsAgo + 1, last);
    }
}
