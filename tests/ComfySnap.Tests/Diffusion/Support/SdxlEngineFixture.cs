using ComfySnap.Tests.Engine.Support;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>One real engine for a test class, with the sdxl-tiny checkpoint as checkpoints/sdref-sdxl-tiny.safetensors.</summary>
public sealed class SdxlEngineFixture : IAsyncLifetime, IDisposable
{
    private readonly SdxlTinyCheckpointFixture _checkpoint = new();

    public EngineHarness Engine { get; private set; } = null!;

    public string CheckpointPath => _checkpoint.Path;

    public SdxlTinyCheckpointFixture Checkpoint => _checkpoint;

    public async Task InitializeAsync() =>
        Engine = await EngineHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Models:Roots:checkpoints"] = Path.GetDirectoryName(_checkpoint.Path),
            // Node cache off: every case renders from scratch.
            ["Engine:NodeCacheBytes"] = "0",
        });

    public async Task DisposeAsync()
    {
        await Engine.DisposeAsync();
        Dispose();
    }

    public void Dispose() => _checkpoint.Dispose();
}
