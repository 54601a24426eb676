using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Engine.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.Engine;

/// <summary>External node packs: loaded in their own context, timed, broken ones skipped.</summary>
public sealed class NodePackTests
{
    [Fact]
    public async Task Example_pack_loads_and_its_nodes_run_next_to_a_broken_pack()
    {
        await using var harness = await EngineHarness.StartAsync(root =>
        {
            TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs"));
            var broken = Path.Combine(root, "node_packs", "BrokenPack");
            Directory.CreateDirectory(broken);
            File.WriteAllText(Path.Combine(broken, "BrokenPack.dll"), "not an assembly");
        });

        Assert.Contains(harness.BootPhases, p => p.Name == "node pack ComfySnap.ExamplePack" && p.Detail == "2 nodes");
        Assert.Contains(harness.BootPhases, p => p.Name == "node pack BrokenPack" && p.Detail == "IMPORT FAILED");
        var result = await harness.RunAsync("""
            {"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":16711680}},
             "2":{"class_type":"ImageGrayscale","inputs":{"image":["1",0]}},
             "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
            """);
        Assert.Single(result.Outputs);
        Assert.Equal("node pack ComfySnap.ExamplePack", harness.Services.GetRequiredService<NodeRegistry>().SourceOf("ImageGrayscale"));
    }

    [Fact]
    public async Task Duplicate_class_type_keeps_the_first_registration()
    {
        await using var harness = await EngineHarness.StartAsync(root =>
        {
            TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs"));
            TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs"), asName: "ZCopyOfExample");
        });

        var registry = harness.Services.GetRequiredService<NodeRegistry>();
        Assert.Equal("node pack ComfySnap.ExamplePack", registry.SourceOf("ImagePosterize"));
        Assert.Equal("built-in", registry.SourceOf("EmptyImage"));
    }
}
