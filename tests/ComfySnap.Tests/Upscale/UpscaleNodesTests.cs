using ComfySnap.Nodes.Upscale;

namespace ComfySnap.Tests.Upscale;

/// <summary>The pack lists both nodes, each constructible the way node discovery does it.</summary>
public sealed class UpscaleNodesTests
{
    [Fact]
    public void Lists_the_loader_and_the_upscaler_once_each()
    {
        var nodes = UpscaleNodes.All();

        Assert.Equal(["ImageUpscaleWithModel", "UpscaleModelLoader"], nodes.Select(n => n.ClassType).Order());
        Assert.All(nodes, n => Assert.NotNull(n.GetType().GetConstructor(Type.EmptyTypes)));
    }
}
