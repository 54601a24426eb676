using Xunit.Abstractions;

namespace ComfySnap.Tests.Gateway;

/// <summary>
/// The gateway's deployable output (what deploy/gateway.Dockerfile copies) carries no libtorch, no
/// native torch code at all, no node code (ComfySnap.Nodes, Diffusion, Worker) and no node pack:
/// it validates against the catalog the workers publish. Slow: a real `dotnet publish`.
/// </summary>
[Trait("Category", "Integration")]
public sealed class GatewayPublishTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _publish = TestEnvironment.NewTempDirectory("gateway-publish");

    [Fact]
    public async Task Publish_output_has_no_torch_native_library_no_node_code_and_no_node_pack()
    {
        var result = await ExternalProgram.RunAsync(TestEnvironment.Dotnet,
            ["publish", Path.Combine(TestEnvironment.RepoRoot, "src/Gateway"), "-c", "Release", "-o", _publish, "-nologo", "-v", "q", "--disable-build-servers"],
            TimeSpan.FromMinutes(10));
        Assert.True(result.ExitCode == 0, result.ToString());

        var files = Directory.GetFiles(_publish, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_publish, f)).ToList();
        var bytes = files.Sum(f => new FileInfo(Path.Combine(_publish, f)).Length);
        output.WriteLine($"gateway publish output: {files.Count} files, {bytes / 1048576.0:0.0} MiB");
        Assert.Contains("ComfySnap.Gateway.dll", files);

        var packs = Directory.GetDirectories(Path.Combine(TestEnvironment.RepoRoot, "src/NodePacks")).Select(d => $"ComfySnap.{Path.GetFileName(d)}.dll").ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(packs);
        var forbidden = files.Where(f =>
        {
            var name = Path.GetFileName(f);
            return name.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("libc10", StringComparison.OrdinalIgnoreCase)
                || name.Contains("LibTorchSharp", StringComparison.OrdinalIgnoreCase)
                || name is "ComfySnap.Nodes.dll" or "ComfySnap.Diffusion.dll" or "ComfySnap.Snapshots.dll"
                || name.StartsWith("ComfySnap.Worker", StringComparison.Ordinal)
                || packs.Contains(name);
        }).ToList();
        Assert.True(forbidden.Count == 0, "in the gateway's publish output: " + string.Join(", ", forbidden));

        // Nor does its dependency manifest name the native torch packages (a runtime lookup would find nothing, but say so).
        var deps = await File.ReadAllTextAsync(Path.Combine(_publish, "ComfySnap.Gateway.deps.json"));
        Assert.DoesNotContain("libtorch", deps, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("TorchSharp-cpu", deps, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_publish, recursive: true);
        }
        catch (IOException)
        {
            // leave temp files behind rather than fail a test
        }
    }
}
