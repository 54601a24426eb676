using ComfySnap.Tests.Support;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>
/// The reference's tiny fp32 checkpoint (preset tiny, seed 0), regenerated once per test run by
/// ComfySnap's own generator into a models folder: checkpoints/sdref-tiny.safetensors, the name
/// the golden workflows use. Nothing is downloaded or committed.
/// </summary>
public sealed class TinyCheckpointFixture : IDisposable
{
    public const string FileName = "sdref-tiny.safetensors";

    public TinyCheckpointFixture()
    {
        ModelsDirectory = TestEnvironment.NewTempDirectory("sd-models");
        Path = System.IO.Path.Combine(ModelsDirectory, "checkpoints", FileName);
        Generated = RandomCheckpoint.Write(CheckpointPreset.Tiny, Path, "fp32", seed: 0);
    }

    public string ModelsDirectory { get; }

    public string Path { get; }

    public GeneratedCheckpoint Generated { get; }

    public void Dispose()
    {
        // xunit may dispose a fixture that is also disposed by its owner.
        if (Directory.Exists(ModelsDirectory))
        {
            Directory.Delete(ModelsDirectory, recursive: true);
        }
    }
}
