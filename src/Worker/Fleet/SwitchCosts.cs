using System.Globalization;

namespace ComfySnap.Worker.Fleet;

/// <summary>A model file a set still needs loaded here, and its size.</summary>
public sealed record IncomingModel(string Model, long Bytes);

/// <summary>Whether to switch by restore, with both expectations and the sentence a job's switchFallback carries.</summary>
public sealed record SwitchVerdict(bool Switch, double ExpectedLoadMs, double ExpectedSwitchMs)
{
    /// <summary>"load ~0.3 s expected, switch ~2.4 s: loading".</summary>
    public string Comparison => string.Create(CultureInfo.InvariantCulture,
        $"load ~{ExpectedLoadMs / 1000:0.0} s expected, switch ~{ExpectedSwitchMs / 1000:0.0} s: {(Switch ? "switching" : "loading")}");
}

/// <summary>
/// What loads and switches by restore cost on this worker, learned as it runs: a model's own
/// observed load time once it loaded here (a moving average), otherwise its bytes at the load
/// bandwidth observed over the loads of files of 256 MiB or more (the configured prior before one), and a switch's observed
/// time (need -> the copy consuming, a moving average seeded by the configured prior). A switch is
/// worth it only when the expected load is longer than the expected switch: a switch replaces the
/// process and drops every set it held, so a tie loads.
/// </summary>
public sealed class SwitchCosts
{
    // Weight of the newest observation: recent enough to follow the host's load, steady enough that one outlier does not flip decisions.
    private const double Weight = 0.3;

    // A smaller file's load time is mostly fixed costs (building the modules), not bytes: `bench fleet` loaded 60 MB in up to
    // 0.87 s at load 20, which as a bandwidth made a 2.1 GB model look like 30 s while it loaded in 0.6-0.9 s.
    private const long BandwidthMinBytes = 256L << 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, double> _loadMs = new(StringComparer.Ordinal);
    private double _bytesPerMs;
    private bool _bandwidthObserved;
    private double _switchMs;

    /// <param name="switchPrior">The switch time expected before any was observed here.</param>
    /// <param name="loadBytesPerSecondPrior">The load bandwidth expected before any load was observed here.</param>
    public SwitchCosts(TimeSpan switchPrior, long loadBytesPerSecondPrior)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(loadBytesPerSecondPrior, 0);
        _switchMs = switchPrior.TotalMilliseconds;
        _bytesPerMs = loadBytesPerSecondPrior / 1000.0;
    }

    /// <summary>How many loads and switches were observed (for the log).</summary>
    public (int Loads, int Switches) Observed { get; private set; }

    public double ExpectedSwitchMs
    {
        get
        {
            lock (_lock)
            {
                return _switchMs;
            }
        }
    }

    /// <summary>A model of <paramref name="bytes"/> loaded here in <paramref name="ms"/>.</summary>
    public void ObserveLoad(string model, long bytes, double ms)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (ms <= 0 || double.IsNaN(ms))
        {
            return;
        }

        lock (_lock)
        {
            _loadMs[model] = _loadMs.TryGetValue(model, out var before) ? Blend(before, ms) : ms;
            if (bytes >= BandwidthMinBytes)
            {
                _bytesPerMs = _bandwidthObserved ? Blend(_bytesPerMs, bytes / ms) : bytes / ms;
                _bandwidthObserved = true;
            }

            Observed = Observed with { Loads = Observed.Loads + 1 };
        }
    }

    /// <summary>A switch by restore that took <paramref name="ms"/> from need to consuming.</summary>
    public void ObserveSwitch(double ms)
    {
        if (ms <= 0 || double.IsNaN(ms))
        {
            return;
        }

        lock (_lock)
        {
            _switchMs = Observed.Switches == 0 ? ms : Blend(_switchMs, ms);
            Observed = Observed with { Switches = Observed.Switches + 1 };
        }
    }

    /// <summary>The expected time to load <paramref name="incoming"/> here.</summary>
    public double ExpectedLoadMs(IEnumerable<IncomingModel> incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        lock (_lock)
        {
            return incoming.Sum(m => _loadMs.TryGetValue(m.Model, out var ms) ? ms : m.Bytes / _bytesPerMs);
        }
    }

    public SwitchVerdict Decide(IReadOnlyList<IncomingModel> incoming)
    {
        var load = ExpectedLoadMs(incoming);
        var switching = ExpectedSwitchMs;
        return new SwitchVerdict(load > switching, load, switching);
    }

    private static double Blend(double before, double observed) => before + Weight * (observed - before);
}
