using static TorchSharp.torch;

namespace ComfySnap.Tests.Stress;

/// <summary>
/// Background load while a stress test runs: threads that spin on arithmetic (the CPUs stay busy,
/// so compute threads are preempted mid-kernel) and one that keeps libtorch's allocator churning
/// with NaN-filled blocks (so reused memory is never clean).
/// </summary>
public sealed class CpuLoad : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Thread> _threads = [];

    public CpuLoad(int spinners)
    {
        for (var i = 0; i < spinners; i++)
        {
            Start($"stress spinner {i}", Spin);
        }

        Start("stress allocator churn", Churn);
    }

    public long Spins => Interlocked.Read(ref _spins);

    private long _spins;

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _stop.Dispose();
    }

    private void Start(string name, Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true, Name = name };
        _threads.Add(thread);
        thread.Start();
    }

    private void Spin()
    {
        var x = 1.0;
        while (!_stop.IsCancellationRequested)
        {
            for (var i = 0; i < 100_000; i++)
            {
                x = (x * 1.0000001) + 1e-9;
            }

            Interlocked.Increment(ref _spins);
        }

        GC.KeepAlive(x);
    }

    private void Churn()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var scope = NewDisposeScope();
            for (var n = 1 << 10; n <= 1 << 20; n <<= 2)
            {
                full(n, float.NaN).add_(1);
            }
        }
    }
}
