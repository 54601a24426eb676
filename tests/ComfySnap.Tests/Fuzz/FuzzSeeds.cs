using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySnap.TestSupport;

namespace ComfySnap.Tests.Fuzz;

/// <summary>The workflows mutations start from: the shipped ones, workflows/invalid, and small graphs over every image node.</summary>
public static class FuzzSeeds
{
    /// <summary>Small, so that the mutants that still validate run in milliseconds.</summary>
    private static readonly string[] Inline =
    [
        """{"1":{"class_type":"EmptyImage","inputs":{"width":16,"height":12,"batch_size":2,"color":255}},"2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":2,"sigma":1.0}},"3":{"class_type":"ImageSharpen","inputs":{"image":["2",0],"sharpen_radius":1,"sigma":1.0,"alpha":1.0}},"4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}""",
        """{"1":{"class_type":"LoadImage","inputs":{"image":"example.png"}},"2":{"class_type":"ImageScaleBy","inputs":{"image":["1",0],"upscale_method":"nearest-exact","scale_by":2.0}},"3":{"class_type":"ImageCrop","inputs":{"image":["2",0],"width":8,"height":8,"x":2,"y":2}},"4":{"class_type":"SaveImage","inputs":{"images":["3",0],"filename_prefix":"fuzz/crop"}}}""",
        """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"EmptyImage","inputs":{"width":12,"height":10,"batch_size":1,"color":16777215}},"3":{"class_type":"ImageBatch","inputs":{"image1":["1",0],"image2":["2",0]}},"4":{"class_type":"ImageInvert","inputs":{"image":["3",0]}},"5":{"class_type":"SaveImage","inputs":{"images":["4",0],"filename_prefix":"batch"}}}""",
        """{"1":{"class_type":"LoadImage","inputs":{"image":"example.png"}},"2":{"class_type":"ImageScale","inputs":{"image":["1",1],"upscale_method":"bilinear","width":0,"height":20,"crop":"center"}},"3":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""",
        """{"1":{"class_type":"EmptyLatentImage","inputs":{"width":64,"height":64,"batch_size":1}},"2":{"class_type":"LatentUpscaleBy","inputs":{"samples":["1",0],"upscale_method":"nearest-exact","scale_by":1.5}},"3":{"class_type":"LatentUpscale","inputs":{"samples":["2",0],"upscale_method":"bilinear","width":32,"height":32,"crop":"disabled"}},"4":{"class_type":"SetLatentNoiseMask","inputs":{"samples":["3",0],"mask":["5",1]}},"5":{"class_type":"LoadImage","inputs":{"image":"example.png"}},"6":{"class_type":"PreviewImage","inputs":{"images":["5",0]}}}""",
        """{"1":{"class_type":"EmptyImage","inputs":{"width":24,"height":24,"batch_size":1,"color":8421504}},"2":{"class_type":"UpscaleModelLoader","inputs":{"model_name":"tiny.pth"}},"3":{"class_type":"ImageUpscaleWithModel","inputs":{"upscale_model":["2",0],"image":["1",0]}},"4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}""",
    ];

    public static IReadOnlyList<JsonObject> All()
    {
        var seeds = Inline.Select(s => (JsonObject)JsonNode.Parse(s)!).ToList();
        var folder = Path.Combine(TestEnvironment.RepoRoot, "workflows");
        foreach (var file in Directory.GetFiles(folder, "*.json").Concat(Directory.GetFiles(Path.Combine(folder, "invalid"), "*.json")).Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject workflow)
                {
                    seeds.Add(workflow);
                }
            }
            catch (JsonException)
            {
                // truncated.json: not a seed (the generator truncates seeds itself)
            }
        }

        return seeds;
    }
}
