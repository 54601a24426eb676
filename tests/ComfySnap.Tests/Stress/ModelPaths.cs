using ComfySnap.NodeSdk;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Upscale.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Models.Esrgan;
using ComfySnap.Diffusion.Sampling;
using ComfySnap.Diffusion.Text;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Stress;

/// <summary>One model path: a name and a run that returns a new tensor from fixed inputs.</summary>
public sealed record ModelPath(string Name, Func<Tensor> Run);

/// <summary>
/// Every model path the worker runs, over the test fixtures' tiny models loaded from files the way
/// the worker loads them (mapped safetensors): ESRGAN whole and tiled (8 features, growth 4: its
/// dense convolutions see 20 and 24 channels, the oneDNN padding of issue 24), the SD UNet, VAE
/// decode and encode (whole and tiled), CLIP text encoding, a LoRA-patched UNet and CLIP, and a
/// two-step KSampler. Inputs are made once and only read; every run makes its own outputs.
/// </summary>
public sealed class ModelPaths : IDisposable
{
    private readonly TinyCheckpointFixture _files = new();
    private readonly UpscaleModel _esrgan;
    private readonly LoadedCheckpoint _checkpoint;
    private readonly LoraFile _lora;
    private readonly List<Tensor> _inputs;

    public ModelPaths()
    {
        var esrganPath = Path.Combine(_files.ModelsDirectory, "esrgan-tiny.safetensors");
        var weights = RrdbStateDicts.Random(numFeat: 8, numBlock: 1, numGrow: 4, scale: 4, seed: 24);
        CheckpointFiles.WriteSafetensors(_files.ModelsDirectory, Path.GetFileName(esrganPath), weights);
        RrdbStateDicts.Dispose(weights);
        var loraPath = Path.Combine(_files.ModelsDirectory, "loras", "broad.safetensors");
        TinyLora.Write(loraPath, TinyLora.Broad(), LoraPairNaming.Kohya, rank: 4, alpha: 2, seed: 24);

        _esrgan = EsrganLoader.Load(esrganPath);
        _checkpoint = new LoadedCheckpoint(SdCheckpoint.Load(_files.Path, conversionDirectory: null), new ClipTokenizerProvider().Tokenizer);
        _lora = LoraFile.Load(loraPath);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(24);
        var image = rand([2, 3, 16, 16], generator: generator);
        var bigImage = rand([1, 3, 80, 80], generator: generator);
        var pixels = rand([1, 64, 64, 3], generator: generator);
        var latent = randn([1, 4, 8, 8], generator: generator);
        var bigLatent = randn([1, 4, 12, 12], generator: generator);
        var unetX = randn([2, 4, 8, 8], generator: generator);
        var timesteps = tensor(new[] { 999f, 421f });
        var context = randn([2, 77, 64], generator: generator);
        var (patchedModel, patchedClip) = LoraApplication.Apply(_lora, _checkpoint.Model, _checkpoint.Clip, 0.8, 0.6, NullLogger.Instance);
        var positive = new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(_checkpoint.Clip, "a (red:1.2) cat"))]);
        var negative = new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(_checkpoint.Clip, "blurry"))]);
        _inputs = [.. patchedModel!.Tensors, .. patchedClip!.Tensors, image, bigImage, pixels, latent, bigLatent, unetX, timesteps, context,
            .. positive.Tensors, .. negative.Tensors];
        foreach (var input in _inputs)
        {
            input.DetachFromDisposeScope();
        }

        var vae = _checkpoint.Checkpoint.Vae;
        All =
        [
            new("ESRGAN x4", () => _esrgan.Run(image)),
            new("ESRGAN tiled (48 px tiles, overlap 8)", () => TiledScale.Run(bigImage, _esrgan.Run, 4, 3, 48, 8, null, CancellationToken.None)),
            new("UNet", () => _checkpoint.Checkpoint.Unet.Forward(unetX, timesteps, context)),
            new("UNet with LoRA", () => patchedModel.Unet.Forward(unetX, timesteps, context)),
            new("CLIP text encode", () => ClipTextEncoding.Encode(_checkpoint.Clip, "a (red:1.2) cat on a mat, highly detailed")),
            new("CLIP with LoRA", () => ClipTextEncoding.Encode(patchedClip, "a (red:1.2) cat on a mat, highly detailed")),
            new("VAE decode", () => VaeImages.Decode(vae, latent, CancellationToken.None)),
            new("VAE encode", () => VaeImages.Encode(vae, pixels, CancellationToken.None)),
            new("VAE decode tiled", () => TiledScale.Run(bigLatent, vae.Decode, 8, 3, 8, 2, null, CancellationToken.None)),
            new("VAE encode tiled", () => TiledVaeEncode.Encode(vae, pixels, 32, 8, null, CancellationToken.None)),
            new("KSampler 2 steps dpmpp_2m", () => KSamplerRun.Sample(_checkpoint.Model, positive, negative, new Latent(latent),
                new KSamplerSettings(24, 2, 6.5, Samplers.DpmPp2M, "karras"), (_, _) => { }, CancellationToken.None).Samples),
        ];
    }

    public IReadOnlyList<ModelPath> All { get; }

    public void Dispose()
    {
        foreach (var input in _inputs)
        {
            input.Dispose();
        }

        _lora.Dispose();
        _checkpoint.Dispose();
        _esrgan.Dispose();
        _files.Dispose();
    }
}
