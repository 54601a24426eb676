using ComfySnap.Tests.Engine.Support;
using static ComfySnap.Tests.Diffusion.Support.TinyLora;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>
/// The tiny checkpoint plus LoRA files for it in a loras folder (written at test time), and one
/// real engine over both with the node cache off. The files, by the key formats ComfyUI reads:
/// kohya names over the original layout, kohya names over diffusers' layout (fp16, as most
/// published LoRAs), "diffusion_model." names with PEFT's lora_A/lora_B and no alpha, a LoRA of
/// every trainable weight for renders, a second one overlapping the first, one with keys no
/// model has, and one none of whose keys fits SD 1.x.
/// </summary>
public sealed class LoraFixture : IAsyncLifetime, IDisposable
{
    public const string KohyaOriginal = "kohya-original.safetensors";
    public const string KohyaDiffusers = "kohya-diffusers.safetensors";
    public const string DiffusionModelKeys = "diffusion-model-keys.safetensors";
    public const string Broad = "broad.safetensors";
    public const string Second = "second.safetensors";
    public const string WithUnknownKeys = "with-unknown-keys.safetensors";
    public const string Unrelated = "sdxl-only-keys.safetensors";

    private readonly TinyCheckpointFixture _checkpoint = new();

    public LoraFixture()
    {
        LorasDirectory = Path.Combine(_checkpoint.ModelsDirectory, "loras");
        var exact = new[] { Linear, Conv1x1, Conv3x3, ClipQuery };
        Add(KohyaOriginal, [.. exact.Select(k => new LoraTarget(k, KohyaName(k)))], LoraPairNaming.Kohya, rank: 4, alpha: 2, seed: 1);
        Add(KohyaDiffusers,
        [
            new(Linear, "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k"),
            new(Conv1x1, "lora_unet_down_blocks_1_attentions_0_proj_in"),
            new(Conv3x3, "lora_unet_down_blocks_0_resnets_0_conv1"),
            new(Upsampler, "lora_unet_up_blocks_0_upsamplers_0_conv"),
            new(ClipQuery, "lora_te_text_model_encoder_layers_0_self_attn_q_proj"),
        ], LoraPairNaming.Kohya, rank: 3, alpha: 1.5, seed: 2, dtype: TorchSharp.torch.float16);
        Add(DiffusionModelKeys,
        [
            new(Linear, "diffusion_model.input_blocks.3.1.transformer_blocks.0.attn2.to_k"),
            new(Conv1x1, "diffusion_model.input_blocks.3.1.proj_in"),
            new(Conv3x3, "diffusion_model.input_blocks.1.0.in_layers.2"),
            new(ClipQuery, "text_encoder.text_model.encoder.layers.0.self_attn.q_proj"),
        ], LoraPairNaming.Peft, rank: 2, alpha: null, seed: 3);
        Add(Broad, TinyLora.Broad(), LoraPairNaming.Kohya, rank: 4, alpha: 2, seed: 4);
        Add(Second, [.. new[] { Conv1x1, Upsampler, ClipQuery }.Select(k => new LoraTarget(k, KohyaName(k)))], LoraPairNaming.Kohya, rank: 2, alpha: 2, seed: 5);
        Add(WithUnknownKeys, [.. TinyLora.Broad().Take(12)], LoraPairNaming.Kohya, rank: 2, alpha: 1, seed: 6, extra: UnknownKeys);
        Add(Unrelated, [], LoraPairNaming.Kohya, rank: 2, alpha: 1, seed: 7, extra: UnknownKeys);
    }

    /// <summary>Keys no SD 1.x model has: an SDXL second text encoder, a missing block, a stray tensor.</summary>
    public static IReadOnlyList<(string Key, long[] Shape)> UnknownKeys { get; } =
    [
        ("lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", [2, 1280]),
        ("lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", [1280, 2]),
        ("lora_unet_input_blocks_9_1_proj_in.lora_down.weight", [2, 640, 1, 1]),
        ("lora_unet_input_blocks_9_1_proj_in.lora_up.weight", [640, 2, 1, 1]),
        ("training_metadata_step", [1]),
    ];

    public EngineHarness Engine { get; private set; } = null!;

    /// <summary>What each file patches and how it names its pairs.</summary>
    public Dictionary<string, (IReadOnlyList<LoraTarget> Targets, LoraPairNaming Naming)> Files { get; } = new(StringComparer.Ordinal);

    public string CheckpointPath => _checkpoint.Path;

    public string LorasDirectory { get; }

    public string PathOf(string lora) => Path.Combine(LorasDirectory, lora);

    private void Add(string file, IReadOnlyList<LoraTarget> targets, LoraPairNaming naming, long rank, double? alpha, ulong seed,
        TorchSharp.torch.ScalarType? dtype = null, IEnumerable<(string Key, long[] Shape)>? extra = null)
    {
        TinyLora.Write(PathOf(file), targets, naming, rank, alpha, seed, dtype, extra: extra);
        Files[file] = (targets, naming);
    }

    /// <summary>Engine settings for this checkpoint and these LoRAs, with the node cache at <paramref name="cacheBytes"/> (0: off).</summary>
    public Dictionary<string, string?> Settings(long cacheBytes) => new()
    {
        ["Models:Roots:checkpoints"] = Path.GetDirectoryName(_checkpoint.Path),
        ["Models:Roots:loras"] = LorasDirectory,
        ["Engine:NodeCacheBytes"] = cacheBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public async Task InitializeAsync() => Engine = await EngineHarness.StartAsync(settings: Settings(0));

    // xunit calls both: the engine goes first, then the files it read.
    public async Task DisposeAsync() => await Engine.DisposeAsync();

    public void Dispose() => _checkpoint.Dispose();
}
