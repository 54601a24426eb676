namespace ComfySnap.TestSupport;

/// <summary>
/// The real SnapshotBuilder command line (`build ...`), run to its end with the tests' minimal
/// environment and the dotnet and criu the tests use: how fixtures, the bench and the chaos run
/// build snapshots, as an operator would.
/// </summary>
public static class SnapshotBuilderCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs `build` with <paramref name="buildArguments"/>; throws with the builder's output when it fails.</summary>
    public static async Task BuildAsync(IEnumerable<string> buildArguments, string? workingDirectory = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string[] arguments = [TestEnvironment.ProjectDll("src/SnapshotBuilder", "ComfySnap.SnapshotBuilder"), "build", .. buildArguments];
        var environment = new Dictionary<string, string>
        {
            ["COMFYSNAP_DOTNET"] = TestEnvironment.Dotnet,
            ["COMFYSNAP_CRIU"] = TestEnvironment.Criu,
        };
        var result = await ExternalProgram.RunAsync(TestEnvironment.Dotnet, arguments, Timeout, workingDirectory, environment).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"snapshot build failed: {result}");
        }
    }
}
