using ComfySnap.NodeSdk;
using ComfySnap.Nodes.Core;

namespace ComfySnap.Tests.Nodes;

public sealed class CoreNodesTests
{
    [Fact]
    public void Registers_each_core_image_node_once()
    {
        var names = CoreNodes.All().Select(n => n.ClassType).ToList();

        Assert.Equal(names.Distinct().Count(), names.Count);
        Assert.Equal(
            ["EmptyImage", "EmptyLatentImage", "ImageBatch", "ImageBlur", "ImageCrop", "ImageInvert", "ImageScale", "ImageScaleBy", "ImageSharpen", "LoadImage", "PreviewImage", "SaveImage"],
            names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_literal_default_lies_in_its_declared_range_or_choices()
    {
        foreach (var input in CoreNodes.All().SelectMany(n => n.Inputs))
        {
            switch (input.Type)
            {
                case ComfyTypes.Int or ComfyTypes.Float:
                    var value = Convert.ToDouble(input.Default, System.Globalization.CultureInfo.InvariantCulture);
                    Assert.InRange(value, input.Min!.Value, input.Max!.Value);
                    break;
                case ComfyTypes.Combo when input.Choices is not null:
                    Assert.Contains((string)input.Default!, input.Choices);
                    break;
            }
        }
    }

    [Fact]
    public void Output_nodes_are_the_savers_and_declare_no_outputs()
    {
        var outputNodes = CoreNodes.All().Where(n => n.IsOutputNode).ToList();

        Assert.Equal(["PreviewImage", "SaveImage"], outputNodes.Select(n => n.ClassType).Order(StringComparer.Ordinal));
        Assert.All(outputNodes, n => Assert.Empty(n.Outputs));
    }
}
