using ComfySnap.Tests.Engine.Support;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>One real engine for a test class over a generated reference checkpoint, node cache off (every case renders from scratch).</summary>
public abstract class ReferenceEngineFixture<TCheckpoint> : IAsyncLifetime, IDisposable
    where TCheckpoint : GeneratedCheckpointFixture, new()
{
    public TCheckpoint Checkpoint { get; } = new();

    public EngineHarness Engine { get; private set; } = null!;

    public string CheckpointPath => Checkpoint.Path;

    public async Task InitializeAsync() =>
        Engine = await EngineHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Models:Roots:checkpoints"] = Path.GetDirectoryName(Checkpoint.Path),
            ["Engine:NodeCacheBytes"] = "0",
        });

    public async Task DisposeAsync()
    {
        await Engine.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        Checkpoint.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The engine with the tiny checkpoint as checkpoints/sdref-tiny.safetensors.</summary>
public sealed class SdEngineFixture : ReferenceEngineFixture<TinyCheckpointFixture>;

/// <summary>The engine with the sdxl-tiny checkpoint as checkpoints/sdref-sdxl-tiny.safetensors.</summary>
public sealed class SdxlEngineFixture : ReferenceEngineFixture<SdxlTinyCheckpointFixture>;
