using ComfySnap.Tests.Support;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>
/// The reference's sdxl-tiny fp32 checkpoint (seed 0), regenerated once per test class by
/// ComfySnap's own generator into a models folder as checkpoints/sdref-sdxl-tiny.safetensors, the
/// name the SDXL golden workflows use. Nothing is downloaded or committed.
/// </summary>
public sealed class SdxlTinyCheckpointFixture : IDisposable
{
    public const string FileName = "sdref-sdxl-tiny.safetensors";

    public SdxlTinyCheckpointFixture()
    {
        ModelsDirectory = TestEnvironment.NewTempDirectory("sdxl-models");
        Path = System.IO.Path.Combine(ModelsDirectory, "checkpoints", FileName);
        Generated = RandomCheckpoint.Write(SdxlCheckpointPreset.Tiny, Path, "fp32", seed: 0);
    }

    public string ModelsDirectory { get; }

    public string Path { get; }

    public GeneratedCheckpoint Generated { get; }

    public void Dispose()
    {
        if (Directory.Exists(ModelsDirectory))
        {
            Directory.Delete(ModelsDirectory, recursive: true);
        }
    }
}
