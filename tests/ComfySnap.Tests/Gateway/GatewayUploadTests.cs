using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ComfySnap.Tests.Support;
using static ComfySnap.Tests.Gateway.Support.ComfyWebSocketClient;
using static ComfySnap.Tests.Support.TestImages;

namespace ComfySnap.Tests.Gateway;

/// <summary>Uploads: ComfyUI's /upload/image and /upload/mask, stored in Redis and carried to the worker with the job.</summary>
public sealed partial class GatewayEndToEndTests
{
    [Fact]
    public async Task Uploaded_image_is_served_by_view_and_loaded_by_the_worker_through_load_image()
    {
        var original = Png(4, 3, (x, y) => ((byte)(40 * x), (byte)(60 * y), 200, 255));
        var name = $"upload-{Guid.NewGuid():N}.png";
        var (status, answer) = await UploadAsync(fixture.A, "/upload/image", original, name);
        Assert.Equal(200, status);
        Assert.Equal(name, answer!["name"]!.GetValue<string>());
        Assert.Equal("", answer["subfolder"]!.GetValue<string>());
        Assert.Equal("input", answer["type"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(fixture.Bus.Settings["Workspace:InputDirectory"]!, name)), "uploads live in Redis, not in the gateway's input folder");

        // ComfyUI's names: the same bytes keep the name, other bytes get "NAME (1).png" unless overwrite.
        Assert.Equal(name, (await UploadAsync(fixture.B, "/upload/image", original, name)).Body!["name"]!.GetValue<string>());
        var other = Png(2, 2, (_, _) => (1, 2, 3, 255));
        Assert.Equal(name.Replace(".png", " (1).png", StringComparison.Ordinal), (await UploadAsync(fixture.A, "/upload/image", other, name)).Body!["name"]!.GetValue<string>());
        Assert.Equal(original, await fixture.B.Http.GetByteArrayAsync($"/view?filename={name}&type=input"));

        await using var ws = await ConnectAsync(fixture.A.Address);
        var prompt = $$"""
            {
              "1": { "class_type": "LoadImage", "inputs": { "image": "{{name}}" } },
              "2": { "class_type": "ImageInvert", "inputs": { "image": ["1", 0] } },
              "3": { "class_type": "SaveImage", "inputs": { "images": ["2", 0], "filename_prefix": "inverted" } }
            }
            """;
        var promptId = await fixture.A.SubmitAsync(prompt, ws.ClientId);
        await ws.WaitForEndAsync(promptId, Timeout);
        Assert.Contains(ws.For(promptId), m => Type(m) == "execution_success");
        var image = Data(ws.For(promptId).Single(m => Type(m) == "executed"))["output"]!["images"]![0]!;
        var result = await fixture.B.Http.GetByteArrayAsync($"/view?filename={image["filename"]}&subfolder={image["subfolder"]}&type=output");
        var (width, height, inverted) = Rgba(result);
        Assert.Equal((4, 3), (width, height));
        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                // ComfyUI's arithmetic: 1 - byte/255 in float32, saved as truncated 255*x (so 54 or 55 for 255-200).
                var at = ((y * width) + x) * 4;
                Assert.InRange(255 - (40 * x) - inverted[at], 0, 1);
                Assert.InRange(255 - (60 * y) - inverted[at + 1], 0, 1);
                Assert.InRange(55 - inverted[at + 2], 0, 1);
            }
        }

        // Uploading other bytes under the name with overwrite changes the job's input, so the output cache key too.
        Assert.Equal(name, (await UploadAsync(fixture.A, "/upload/image", other, name, overwrite: true)).Body!["name"]!.GetValue<string>());
        var again = await fixture.A.SubmitAsync(prompt, ws.ClientId);
        await ws.WaitForEndAsync(again, Timeout);
        Assert.DoesNotContain(ws.For(again), m => Type(m) == "execution_cached" && Data(m)["nodes"]!.AsArray().Count == 3);
        var second = Data(ws.For(again).Single(m => Type(m) == "executed"))["output"]!["images"]![0]!;
        var (smallWidth, smallHeight, small) = Rgba(await fixture.A.Http.GetByteArrayAsync($"/view?filename={second["filename"]}&subfolder={second["subfolder"]}&type=output"));
        Assert.Equal((2, 2), (smallWidth, smallHeight));
        Assert.InRange(254 - small[0], 0, 1);
        Assert.InRange(252 - small[2], 0, 1);
    }

    [Fact]
    public async Task Upload_mask_puts_the_masks_alpha_on_the_original()
    {
        var name = $"masked-{Guid.NewGuid():N}.png";
        Assert.Equal(200, (await UploadAsync(fixture.A, "/upload/image", Png(3, 2, (_, _) => (10, 20, 30, 255)), name)).Status);
        var mask = Png(3, 2, (x, _) => (0, 0, 0, (byte)(100 * x)));
        var reference = new JsonObject { ["filename"] = name, ["subfolder"] = "", ["type"] = "input" };
        var (status, answer) = await UploadAsync(fixture.B, "/upload/mask", mask, $"clipspace-{name}", fields: new() { ["original_ref"] = reference.ToJsonString() });
        Assert.Equal(200, status);
        var (_, _, composed) = Rgba(await fixture.A.Http.GetByteArrayAsync($"/view?filename={answer!["name"]}&type=input"));
        Assert.Equal([10, 20, 30, 200], composed[20..24]);
        Assert.Equal([10, 20, 30, 0], composed[0..4]);
    }

    [Fact]
    public async Task Upload_refuses_large_files_non_images_and_path_escapes()
    {
        await using var small = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Gateway:MaxUploadBytes"] = "1024" });
        var noise = new Random(7);
        var large = Png(64, 64, (_, _) => ((byte)noise.Next(256), (byte)noise.Next(256), (byte)noise.Next(256), 255));
        Assert.True(large.Length > 1024);
        Assert.Equal(413, (await UploadAsync(small, "/upload/image", large, "large.png")).Status);
        Assert.Equal(200, (await UploadAsync(small, "/upload/image", Png(2, 2, (_, _) => (0, 0, 0, 255)), $"small-{Guid.NewGuid():N}.png")).Status);

        Assert.Equal(400, (await UploadAsync(fixture.A, "/upload/image", "not an image at all"u8.ToArray(), "text.png")).Status);
        var png = Png(2, 2, (_, _) => (0, 0, 0, 255));
        Assert.Equal(400, (await UploadAsync(fixture.A, "/upload/image", png, "ok.png", fields: new() { ["subfolder"] = "../.." })).Status);
        Assert.Equal(400, (await UploadAsync(fixture.A, "/upload/image", png, "../escape.png")).Status);
        Assert.Equal(400, (await UploadAsync(fixture.A, "/upload/image", png, "ok.png", fields: new() { ["type"] = "models" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.A.Http.PostAsync("/upload/image", new StringContent("{}"))).StatusCode);
    }

    private static async Task<(int Status, JsonNode? Body)> UploadAsync(
        Support.GatewayInstance gateway, string path, byte[] bytes, string filename, bool overwrite = false, Dictionary<string, string>? fields = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"image\"", FileName = $"\"{filename}\"" };
        form.Add(file);
        form.Add(new StringContent(overwrite ? "true" : "false"), "overwrite");
        foreach (var (key, value) in fields ?? [])
        {
            form.Add(new StringContent(value), key);
        }

        using var response = await gateway.Http.PostAsync(path, form);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.IsSuccessStatusCode && text.Length > 0 ? JsonNode.Parse(text) : null);
    }
}
