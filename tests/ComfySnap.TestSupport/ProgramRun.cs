namespace ComfySnap.TestSupport;

/// <summary>
/// One of the project's programs (`dotnet X.dll ARGS`) run to its end as a child process, configured
/// like a deployment through COMFYSNAP_ variables, e.g. to see how it ends on a bad setting.
/// </summary>
public static class ProgramRun
{
    public static Task<ProgramResult> WorkerServeAsync(IReadOnlyDictionary<string, string?> settings, TimeSpan timeout) =>
        RunAsync("src/Worker", "ComfySnap.Worker", ["serve"], settings, timeout);

    public static Task<ProgramResult> GatewayAsync(IReadOnlyDictionary<string, string?> settings, TimeSpan timeout) =>
        RunAsync("src/Gateway", "ComfySnap.Gateway", [], settings, timeout);

    public static Task<ProgramResult> RunAsync(string folder, string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> settings, TimeSpan timeout)
    {
        var environment = settings.ToDictionary(kv => WorkerProcess.SettingVariable(kv.Key), kv => kv.Value ?? "");
        environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        return ExternalProgram.RunAsync(TestEnvironment.Dotnet, [TestEnvironment.ProjectDll(folder, assembly), .. arguments], timeout, environment: environment);
    }
}
