using System.Globalization;

namespace ComfySnap.Chaos;

/// <summary>The batch's workflows: a tiny SD render (64 px, 2 steps) and small image pipelines.</summary>
public static class ChaosWorkflows
{
    public const string CheckpointName = "chaos-tiny.safetensors";

    private const string Render = """
        {"3":{"class_type":"KSampler","inputs":{"cfg":4,"denoise":1,"latent_image":["5",0],"model":["4",0],"negative":["7",0],"positive":["6",0],"sampler_name":"euler","scheduler":"normal","seed":SEED,"steps":2}},
         "4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"CKPT"}},
         "5":{"class_type":"EmptyLatentImage","inputs":{"batch_size":1,"height":64,"width":64}},
         "6":{"class_type":"CLIPTextEncode","inputs":{"clip":["4",1],"text":"a lighthouse in a storm"}},
         "7":{"class_type":"CLIPTextEncode","inputs":{"clip":["4",1],"text":"blurry"}},
         "8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},
         "9":{"class_type":"PreviewImage","inputs":{"images":["8",0]}}}
        """;

    private const string Image = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":32,"height":32,"batch_size":1,"color":COLOR}},
         "2":{"class_type":"ImageInvert","inputs":{"image":["1",0]}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    public static string RenderWith(int seed) => Render
        .Replace("SEED", seed.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("CKPT", CheckpointName, StringComparison.Ordinal);

    public static string ImageWith(int color) => Image.Replace("COLOR", (color % 0x1000000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
