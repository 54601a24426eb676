using ComfySnap.Nodes.Conditioning;

namespace ComfySnap.Tests.Diffusion;

/// <summary>The SDXL text nodes declare their inputs as comfy_extras/nodes_clip_sdxl.py does: names, order, types, defaults, ranges.</summary>
public sealed class SdxlNodeTests
{
    [Fact]
    public void CLIPTextEncodeSDXL_inputs_are_comfyuis()
    {
        var inputs = new CLIPTextEncodeSDXL().Inputs;
        Assert.Equal(["clip", "width", "height", "crop_w", "crop_h", "target_width", "target_height", "text_g", "text_l"], inputs.Select(i => i.Name));
        Assert.Equal(["CLIP", "INT", "INT", "INT", "INT", "INT", "INT", "STRING", "STRING"], inputs.Select(i => i.Type));
        Assert.Equal([1024L, 1024L, 0L, 0L, 1024L, 1024L], inputs.Skip(1).Take(6).Select(i => (long)i.Default!));
        Assert.All(inputs.Skip(1).Take(6), i => Assert.Equal((0.0, 16384.0), (i.Min!.Value, i.Max!.Value)));
        Assert.Equal(["CLIP_G", "CLIP_L"], inputs.Skip(7).Select(i => (string)i.Default!));
    }

    [Fact]
    public void CLIPTextEncodeSDXLRefiner_inputs_are_comfyuis()
    {
        var inputs = new CLIPTextEncodeSDXLRefiner().Inputs;
        Assert.Equal(["clip", "ascore", "width", "height", "text"], inputs.Select(i => i.Name));
        Assert.Equal(["CLIP", "FLOAT", "INT", "INT", "STRING"], inputs.Select(i => i.Type));
        Assert.Equal(6.0, (double)inputs[1].Default!);
        Assert.Equal((0.0, 1000.0), (inputs[1].Min!.Value, inputs[1].Max!.Value));
        Assert.Equal([1024L, 1024L], inputs.Skip(2).Take(2).Select(i => (long)i.Default!));
    }
}
