using System.Diagnostics.Metrics;
using ComfySnap.Worker.Bus;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Telemetry;

/// <summary>
/// The worker's instruments (meter "ComfySnap.Worker"), created from the host's IMeterFactory so
/// each host (and each test) has its own, tagged with the worker id. Durations are in milliseconds.
/// </summary>
public sealed class WorkerMetrics
{
    public const string MeterName = "ComfySnap.Worker";

    private readonly Counter<long> _jobs;
    private readonly Histogram<double> _jobDuration;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Histogram<double> _bootDuration;
    private readonly Counter<long> _fallbacks;

    public WorkerMetrics(IMeterFactory meters, IOptions<BusOptions> bus)
    {
        // The worker id as a meter tag: one process can host several workers (tests, the benchmark).
        var meter = meters.Create(new MeterOptions(MeterName) { Tags = [new("comfysnap.worker.id", bus.Value.EffectiveWorkerId)] });
        _jobs = meter.CreateCounter<long>("comfysnap.jobs", "{job}", "Jobs answered, by outcome (completed, cached, failed:<kind>)");
        _jobDuration = meter.CreateHistogram<double>("comfysnap.job.duration", "ms", "Time from consume to the job's answer");
        _queueWait = meter.CreateHistogram<double>("comfysnap.job.queue_wait", "ms", "Time from send to consume");
        _cacheHits = meter.CreateCounter<long>("comfysnap.cache.hits", "{lookup}", "Output cache lookups that found the result");
        _cacheMisses = meter.CreateCounter<long>("comfysnap.cache.misses", "{lookup}", "Output cache lookups that did not");
        _bootDuration = meter.CreateHistogram<double>("comfysnap.boot.duration", "ms", "Worker boot to ready, by mode (ColdBoot, Restored)");
        _fallbacks = meter.CreateCounter<long>("comfysnap.boot.fallbacks", "{boot}", "Cold boots that tried a snapshot first, by fallback reason");
    }

    public void JobAnswered(string outcome, double milliseconds)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _jobs.Add(1, tag);
        _jobDuration.Record(milliseconds, tag);
    }

    public void QueueWait(double milliseconds) => _queueWait.Record(milliseconds);

    public void CacheLookup(bool hit)
    {
        if (hit)
        {
            _cacheHits.Add(1);
        }
        else
        {
            _cacheMisses.Add(1);
        }
    }

    public void Booted(string mode, double milliseconds, string? fallbackKind)
    {
        _bootDuration.Record(milliseconds, new KeyValuePair<string, object?>("mode", mode));
        if (fallbackKind is not null)
        {
            _fallbacks.Add(1, new KeyValuePair<string, object?>("reason", fallbackKind));
        }
    }
}
