using ComfySnap.Snapshots;
using ComfySnap.Tests.Support;

namespace ComfySnap.Tests.Snapshots;

/// <summary>The builder's pre-dump inspection finds what a snapshot must never contain.</summary>
[Trait("Category", "Integration")]
public sealed class BuilderRefusalTests
{
    private static readonly string ProbeDll = TestEnvironment.ProjectDll("tests/CriuProbe", "ComfySnap.CriuProbe");

    [Fact]
    public async Task Open_tcp_connection_is_refused()
    {
        await using var probe = await StartProbeAsync(TestEnvironment.ChildEnvironment());

        Assert.Empty(ProcessInspector.Inspect(probe.HostPid, []));
        await SendAsync(probe, $"tcp {TestEnvironment.RabbitMqPort}");

        var refusal = Assert.Single(ProcessInspector.Inspect(probe.HostPid, []));
        Assert.Equal(RefusalKind.TcpSocket, refusal.Kind);
    }

    [Fact]
    public async Task File_open_for_writing_is_refused()
    {
        var path = Path.Combine(TestEnvironment.NewTempDirectory("refuse"), "log.txt");
        await using var probe = await StartProbeAsync(TestEnvironment.ChildEnvironment());

        await SendAsync(probe, $"write {path}");

        var refusal = Assert.Single(ProcessInspector.Inspect(probe.HostPid, []));
        Assert.Equal(RefusalKind.WritableFile, refusal.Kind);
        Assert.Contains(path, refusal.Detail);
    }

    [Fact]
    public async Task Configured_or_conventional_secret_in_environment_is_refused()
    {
        var env = TestEnvironment.ChildEnvironment();
        env["RABBIT_PASSWORD"] = "x";
        env["MY_CREDENTIAL"] = "y";
        await using var probe = await StartProbeAsync(env);

        var refusals = ProcessInspector.Inspect(probe.HostPid, ["MY_CREDENTIAL"]);

        Assert.Equal(2, refusals.Count(r => r.Kind == RefusalKind.SecretInEnvironment));
        Assert.DoesNotContain(refusals, r => r.Detail.Contains("=x", StringComparison.Ordinal)); // names, never values
    }

    private static async Task<NamespacedProcess> StartProbeAsync(Dictionary<string, string> env)
    {
        var probe = await NamespacedProcess.StartAsync(TestEnvironment.Dotnet, [ProbeDll], env, null, CancellationToken.None);
        Assert.Equal("ready", await probe.StandardOutput.ReadLineAsync());
        return probe;
    }

    private static async Task SendAsync(NamespacedProcess probe, string line)
    {
        await probe.StandardInput.WriteLineAsync(line);
        await probe.StandardInput.FlushAsync();
        Assert.StartsWith("count=", await probe.StandardOutput.ReadLineAsync());
    }
}
