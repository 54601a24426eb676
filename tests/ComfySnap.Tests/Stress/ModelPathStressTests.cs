using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ComfySnap.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Stress;

/// <summary>Runs alone: it brings its own CPU load, and its cost should not stretch other tests' timeouts.</summary>
[CollectionDefinition(nameof(StressCollection), DisableParallelization = true)]
public sealed class StressCollection;

/// <summary>
/// Issue 24: every model path (<see cref="ModelPaths"/>) run many times on several threads at once
/// beside a CPU load, each run on a heap left full of freed NaN blocks (<see cref="HeapPoison"/>),
/// gives finite outputs bit-identical to one quiet run on one thread: no path reads memory it did
/// not write, frees what another thread uses, or depends on what runs beside it. Not timed.
/// COMFYSNAP_STRESS_ITERATIONS sets the runs per path and thread (default 5: about 20 s on a 2-vCPU machine).
/// </summary>
[Collection(nameof(StressCollection))]
public sealed class ModelPathStressTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 5;
    private const int ComputeThreads = 3;
    private const int Spinners = 2;

    [Fact]
    public void Every_model_path_under_load_on_several_threads_matches_a_quiet_run_bit_for_bit()
    {
        var iterations = Iterations();
        using var paths = new ModelPaths();
        var reference = paths.All.ToDictionary(p => p.Name, p => Quiet(p.Run));
        try
        {
            var notFinite = reference.Where(kv => !kv.Value.isfinite().all().item<bool>()).Select(kv => kv.Key).ToList();
            Assert.True(notFinite.Count == 0, $"the quiet run itself is not finite for: {string.Join(", ", notFinite)}");

            var failures = new ConcurrentQueue<string>();
            var runs = new ConcurrentDictionary<string, int>();
            var clock = Stopwatch.StartNew();
            long spins;
            using (var load = new CpuLoad(Spinners))
            {
                var workers = Enumerable.Range(0, ComputeThreads).Select(t => new Thread(() =>
                {
                    for (var i = 0; i < iterations; i++)
                    {
                        // Each thread walks the paths in its own order, so different paths overlap.
                        for (var k = 0; k < paths.All.Count; k++)
                        {
                            var path = paths.All[(k + (t * 5) + i) % paths.All.Count];
                            if (Compare(path, reference[path.Name]) is { } problem)
                            {
                                failures.Enqueue($"{path.Name}, thread {t}, run {i}: {problem}");
                            }

                            runs.AddOrUpdate(path.Name, 1, (_, n) => n + 1);
                        }
                    }
                }) { Name = $"stress compute {t}" }).ToList();
                workers.ForEach(w => w.Start());
                workers.ForEach(w => w.Join());
                spins = load.Spins;
            }

            output.WriteLine($"{runs.Values.Sum()} runs ({iterations} per path and thread, {ComputeThreads} threads, {paths.All.Count} paths) " +
                $"beside {Spinners} spinning threads ({spins} spin blocks) and an allocator churn in {clock.Elapsed.TotalSeconds:0.0} s; {failures.Count} failure(s)");
            Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
            Assert.All(paths.All, p => Assert.Equal(iterations * ComputeThreads, runs[p.Name]));
        }
        finally
        {
            foreach (var value in reference.Values)
            {
                value.Dispose();
            }
        }
    }

    private static int Iterations() =>
        int.TryParse(Environment.GetEnvironmentVariable("COMFYSNAP_STRESS_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : DefaultIterations;

    private static Tensor Quiet(Func<Tensor> run)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        HeapPoison.FillAndFreeWithNaN();
        return run().MoveToOuterDisposeScope();
    }

    /// <summary>Null when the run matches <paramref name="expected"/> exactly, else what differs.</summary>
    private static string? Compare(ModelPath path, Tensor expected)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        HeapPoison.FillAndFreeWithNaN();
        var actual = path.Run();
        if (!actual.shape.SequenceEqual(expected.shape))
        {
            return $"shape [{string.Join(',', actual.shape)}], expected [{string.Join(',', expected.shape)}]";
        }

        var nonFinite = actual.isfinite().logical_not().sum().item<long>();
        var differing = actual.ne(expected).sum().item<long>();
        return nonFinite == 0 && differing == 0
            ? null
            : $"{nonFinite} non-finite and {differing} differing of {actual.numel()} values (max |diff| {(actual - expected).abs().nan_to_num(float.MaxValue).max().item<float>()})";
    }
}
