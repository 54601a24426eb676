using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Tests.Engine.Support;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>
/// The tiny checkpoint, two controlnet-tiny files (seeds 0 and 1, as make-checkpoint writes them:
/// cn-tiny.safetensors and cn-tiny-seed1.safetensors, the names the ControlNet goldens use) and
/// the goldens' control images in the input folder; one real engine over them, node cache off.
/// </summary>
public sealed class ControlNetFixture : IAsyncLifetime, IDisposable
{
    public const string Net = "cn-tiny.safetensors";
    public const string NetSeed1 = "cn-tiny-seed1.safetensors";

    private readonly TinyCheckpointFixture _checkpoint = new();

    public ControlNetFixture()
    {
        ControlNetDirectory = Path.Combine(_checkpoint.ModelsDirectory, "controlnet");
        RandomControlNet.Write(ControlNetPreset.Tiny, PathOf(Net), "fp32", seed: 0);
        RandomControlNet.Write(ControlNetPreset.Tiny, PathOf(NetSeed1), "fp32", seed: 1);
    }

    public static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Diffusion", "Fixtures", "controlnet");

    public EngineHarness Engine { get; private set; } = null!;

    public string ControlNetDirectory { get; }

    public string PathOf(string controlNet) => Path.Combine(ControlNetDirectory, controlNet);

    public async Task InitializeAsync() =>
        Engine = await EngineHarness.StartAsync(
            root =>
            {
                foreach (var image in Directory.GetFiles(Path.Combine(FixtureDirectory, "inputs"), "*.png"))
                {
                    File.Copy(image, Path.Combine(root, "input", Path.GetFileName(image)));
                }
            },
            new Dictionary<string, string?>
            {
                ["Models:Roots:checkpoints"] = Path.GetDirectoryName(_checkpoint.Path),
                ["Models:Roots:controlnet"] = ControlNetDirectory,
                ["Engine:NodeCacheBytes"] = "0",
            });

    public async Task DisposeAsync() => await Engine.DisposeAsync();

    public void Dispose() => _checkpoint.Dispose();
}
