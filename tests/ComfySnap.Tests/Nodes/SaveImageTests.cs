using System.Security.Cryptography;
using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using TorchSharp;

namespace ComfySnap.Tests.Nodes;

public sealed class SaveImageTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Fact]
    public async Task Writes_one_rgb_png_of_the_image_size_per_batch_item()
    {
        var images = HostImage.Random(seed: 1, batch: 3, height: 7, width: 13, channels: 3).ToTensor();

        var result = await harness.RunAsync(new SaveImage(), CancellationToken.None, ("images", images), ("filename_prefix", "sub/test"));

        Assert.Empty(result.Values);
        Assert.Equal(3, result.Artifacts.Count);
        foreach (var artifact in result.Artifacts)
        {
            Assert.Equal(("image/png", "output"), (artifact.ContentType, artifact.Kind));
            Assert.Equal(new PngHeader(13, 7, 8, 2), PngHeader.Read(artifact.Bytes.Span));
            Assert.Equal(artifact.Bytes.ToArray(), await File.ReadAllBytesAsync(artifact.Path!));
            Assert.StartsWith(Path.Combine(harness.Workspace.OutputDirectory, "sub"), artifact.Path!, StringComparison.Ordinal);
        }

        Assert.Equal([(1, 3), (2, 3), (3, 3)], harness.Progress);
    }

    [Fact]
    public async Task The_same_tensor_always_gives_the_same_bytes()
    {
        var images = HostImage.Random(seed: 2, batch: 1, height: 16, width: 16, channels: 3).ToTensor();

        var first = await harness.RunAsync(new SaveImage(), CancellationToken.None, ("images", images), ("filename_prefix", "same"));
        var second = await harness.RunAsync(new SaveImage(), CancellationToken.None, ("images", images.clone()), ("filename_prefix", "same"));

        var (a, b) = (first.Artifacts.Single(), second.Artifacts.Single());
        Assert.NotEqual(a.FileName, b.FileName);
        Assert.Equal(SHA256.HashData(a.Bytes.Span), SHA256.HashData(b.Bytes.Span));

        // And a different tensor gives different bytes, so the check above can fail.
        var other = await harness.RunAsync(new SaveImage(), CancellationToken.None, ("images", 1.0 - images), ("filename_prefix", "same"));
        Assert.NotEqual(SHA256.HashData(a.Bytes.Span), SHA256.HashData(other.Artifacts.Single().Bytes.Span));
    }

    [Fact]
    public async Task Preview_writes_temporary_files_under_its_own_prefix()
    {
        var images = HostImage.Random(seed: 3, batch: 2, height: 4, width: 5, channels: 3).ToTensor();

        var result = await harness.RunAsync(new PreviewImage(), CancellationToken.None, ("images", images));

        Assert.All(result.Artifacts, a =>
        {
            Assert.Equal("temp", a.Kind);
            Assert.StartsWith("ComfyUI_temp_", a.FileName, StringComparison.Ordinal);
            Assert.Equal(new PngHeader(5, 4, 8, 2), PngHeader.Read(a.Bytes.Span));
        });
        Assert.Empty(Directory.GetFiles(harness.Workspace.OutputDirectory));
    }

    [Fact]
    public async Task Refuses_a_prefix_that_leaves_the_output_folder()
    {
        var images = HostImage.Random(seed: 4, batch: 1, height: 2, width: 2, channels: 3).ToTensor();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            harness.RunAsync(new SaveImage(), CancellationToken.None, ("images", images), ("filename_prefix", "../../outside")));
    }

    [Fact]
    public async Task Stops_before_writing_when_cancelled()
    {
        var images = HostImage.Random(seed: 5, batch: 2, height: 2, width: 2, channels: 3).ToTensor();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            harness.RunAsync(new SaveImage(), cancelled.Token, ("images", images), ("filename_prefix", "cancelled")));
        Assert.Empty(Directory.GetFiles(harness.Workspace.OutputDirectory));
    }

    public void Dispose() => harness.Dispose();
}
