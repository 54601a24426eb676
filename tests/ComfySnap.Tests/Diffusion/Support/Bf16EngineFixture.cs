using ComfySnap.Diffusion.Models;
using ComfySnap.Tests.Engine.Support;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>
/// The tiny checkpoint and two real engines over it, node cache off: one with the default UNet
/// dtype (fp32) and one with Models:UnetDtype=bf16, each with its own conversion folder.
/// </summary>
public sealed class Bf16EngineFixture : IAsyncLifetime, IDisposable
{
    private readonly TinyCheckpointFixture _checkpoint = new();

    public EngineHarness Fp32 { get; private set; } = null!;

    public EngineHarness Bf16 { get; private set; } = null!;

    public string CheckpointPath => _checkpoint.Path;

    /// <summary>Engine settings for this checkpoint with the UNet in <paramref name="unetDtype"/>.</summary>
    public Dictionary<string, string?> Settings(string unetDtype) => new()
    {
        ["Models:Roots:checkpoints"] = Path.GetDirectoryName(_checkpoint.Path),
        ["Models:UnetDtype"] = unetDtype,
        ["Engine:NodeCacheBytes"] = "0",
    };

    public async Task InitializeAsync()
    {
        Fp32 = await EngineHarness.StartAsync(settings: Settings(UnetDtype.Fp32));
        Bf16 = await EngineHarness.StartAsync(settings: Settings(UnetDtype.Bf16));
    }

    public async Task DisposeAsync()
    {
        await Fp32.DisposeAsync();
        await Bf16.DisposeAsync();
    }

    public void Dispose() => _checkpoint.Dispose();
}
