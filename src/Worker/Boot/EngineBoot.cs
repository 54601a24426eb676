using System.Diagnostics;
using ComfySnap.Engine;
using ComfySnap.Engine.Nodes;
using ComfySnap.Diffusion.Models;
using ComfySnap.Engine.NodePacks;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Nodes;
using ComfySnap.Nodes.Loaders;
using ComfySnap.NodeSdk;
using ComfySnap.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// The engine part of every boot (cold or snapshot preparation): runtime, torch, built-in nodes,
/// each node pack, each preloaded model. Runs once per process.
/// </summary>
public sealed class EngineBoot(
    NodeRegistry registry,
    NodePackLoader packs,
    ModelStore models,
    IOptions<ModelStoreOptions> modelOptions,
    IOptions<EngineOptions> engineOptions,
    BootClock clock,
    ILogger<EngineBoot> logger)
{
    public IReadOnlyList<NodePackLoadResult> Packs { get; private set; } = [];

    public async Task RunAsync(PhaseTimer timer, CancellationToken cancellationToken)
    {
        timer.Record("runtime start", clock.Elapsed.TotalMilliseconds);
        timer.Run("torch load", LoadTorch);
        timer.Run("built-in nodes", () =>
        {
            foreach (var node in BuiltInNodes.All())
            {
                registry.Register(node, "built-in");
            }
        });
        var packWatch = Stopwatch.StartNew();
        Packs = packs.LoadAll(cancellationToken);
        foreach (var pack in Packs)
        {
            timer.Record($"node pack {pack.Name}", pack.Milliseconds, pack.Failed ? "IMPORT FAILED" : $"{pack.NodeCount} nodes");
        }

        if (Packs.Count == 0)
        {
            timer.Record("node packs", packWatch.Elapsed.TotalMilliseconds, "none");
        }

        var warmupSizes = modelOptions.Value.WarmupSizes is { Count: > 0 } configured ? WarmupSize.ParseAll(configured) : [WarmupSize.Minimal];
        foreach (var entry in modelOptions.Value.Preload)
        {
            var (kind, name) = SplitModelEntry(entry);
            await timer.RunAsync($"model {kind}/{name}", () => models.PreloadAsync(kind, name, cancellationToken)).ConfigureAwait(false);
            if (kind == CheckpointLoaderSimple.ModelKind)
            {
                // One-step renders at the warm-up sizes, so that the first job (or a restored worker's) pays no first-call costs.
                var checkpoint = await models.LoadAsync<ILoadedCheckpoint>(kind, name, cancellationToken).ConfigureAwait(false);
                var watch = Stopwatch.StartNew();
                checkpoint.WarmUp(warmupSizes, cancellationToken);
                timer.Record($"warm-up {name}", watch.Elapsed.TotalMilliseconds, string.Join(", ", warmupSizes));
            }
        }
    }

    // Touch the native runtime once so its load time is a phase of its own, not the first job's.
    private void LoadTorch()
    {
        // First, before any tensor exists: see ZeroFilledAllocations for the NaN it prevents.
        if (!ZeroFilledAllocations.TryEnable())
        {
            logger.LogWarning("libtorch CPU allocations are not zero-filled ({Library} flags not found): convolutions may read uninitialised padding", "libc10");
        }

        if (!NativeAllocatorTuning.HugePagesOn(Environment.GetEnvironmentVariable(NativeAllocatorTuning.VariableName)))
        {
            logger.LogInformation("malloc huge pages are off ({Variable} lacks {Tunable}, read at process start): tensors fault in 4 KiB pages, slower on hosts where faults are costly",
                NativeAllocatorTuning.VariableName, NativeAllocatorTuning.HugePagesTunable);
        }

        if (engineOptions.Value.TorchThreads > 0)
        {
            torch.set_num_threads(engineOptions.Value.TorchThreads);
        }

        // Else every thread's first convolution may print an NNPACK warning on CPUs it does not support.
        NnpackSwitch.TryDisable();
        using var probe = torch.ones(2, 2).matmul(torch.ones(2, 2));
        _ = probe.sum().item<float>();
    }

    private static (string Kind, string Name) SplitModelEntry(string entry)
    {
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            ? ModelUrl.LooksLikeUrl(entry[(slash + 1)..])
                ? throw new InvalidOperationException($"Models:Preload entry '{entry}' names a URL: only model files under Models:BaseDirectory are preloaded (and snapshotted); a model by URL is downloaded when a job names it")
                : (entry[..slash], entry[(slash + 1)..])
            : throw new InvalidOperationException($"Models:Preload entry '{entry}' must be 'kind/name', e.g. 'upscale_models/x4.pth'");
    }
}
