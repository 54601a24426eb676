namespace ComfySnap.TestSupport;

/// <summary>What `./comfysnap test` set up for the suite: service ports, criu, the repo, dotnet.</summary>
public static class TestEnvironment
{
    public static int RabbitMqPort => int.Parse(Environment.GetEnvironmentVariable("COMFYSNAP_RABBITMQ_PORT") ?? "5682");

    public static int RedisPort => int.Parse(Environment.GetEnvironmentVariable("COMFYSNAP_REDIS_PORT") ?? "6390");

    public static string RabbitMqUri => $"amqp://guest:guest@127.0.0.1:{RabbitMqPort}/";

    public static string RedisEndpoint => $"127.0.0.1:{RedisPort}";

    public static string Criu => Environment.GetEnvironmentVariable("COMFYSNAP_CRIU") is { Length: > 0 } c
        ? c
        : Path.Combine(RepoRoot, ".comfysnap/prefix/usr/sbin/criu.patched");

    /// <summary>The dotnet that can load TorchSharp here (the patched one on old-glibc hosts).</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("COMFYSNAP_DOTNET") is { Length: > 0 } d ? d : "dotnet";

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string ProjectDll(string folder, string assembly) =>
        Path.Combine(RepoRoot, folder, "bin", Configuration, "net10.0", assembly + ".dll");

    /// <summary>
    /// Copies the example node pack's build output into NODE_PACKS/NAME (NAME defaults to the
    /// assembly name; another name also renames the pack's own files, making a second copy).
    /// </summary>
    public static void InstallExamplePack(string nodePacksDirectory, string? asName = null)
    {
        const string assembly = "ComfySnap.ExamplePack";
        var build = Path.GetDirectoryName(ProjectDll("src/NodePacks/ExamplePack", assembly))!;
        var target = Path.Combine(nodePacksDirectory, asName ?? assembly);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(build))
        {
            var name = Path.GetFileName(file);
            if (asName is not null && name.StartsWith(assembly, StringComparison.Ordinal))
            {
                name = asName + name[assembly.Length..];
            }

            File.Copy(file, Path.Combine(target, name));
        }
    }

    /// <summary>A minimal environment for child processes: enough to run dotnet, nothing secret.</summary>
    public static Dictionary<string, string> ChildEnvironment() => new()
    {
        ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        ["DOTNET_ROOT"] = Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? Path.GetDirectoryName(Dotnet) ?? "",
        ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root",
        ["DOTNET_EnableDiagnostics"] = "0",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1",
    };

    public static string NewTempDirectory(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), "comfysnap-tests", $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ComfySnap.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("ComfySnap.sln not found above " + AppContext.BaseDirectory);
    }
}
