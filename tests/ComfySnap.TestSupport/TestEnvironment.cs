using ComfySnap.Snapshots;
using ComfySnap.ServiceDefaults.RabbitMq;

namespace ComfySnap.TestSupport;

/// <summary>What `./comfysnap test` set up for the suite: service ports, criu, the repo, dotnet.</summary>
public static class TestEnvironment
{
    public static int RabbitMqPort => int.Parse(Environment.GetEnvironmentVariable("COMFYSNAP_RABBITMQ_PORT") ?? "5682");

    public static int RedisPort => int.Parse(Environment.GetEnvironmentVariable("COMFYSNAP_REDIS_PORT") ?? "6390");

    /// <summary>The RabbitMQ user `./comfysnap services start` created (guest only for services started without credentials).</summary>
    public static string RabbitMqUser => Environment.GetEnvironmentVariable("COMFYSNAP_RABBITMQ_USER") is { Length: > 0 } u ? u : "guest";

    public static string RabbitMqPassword => Environment.GetEnvironmentVariable("COMFYSNAP_RABBITMQ_PASSWORD") is { Length: > 0 } p ? p : "guest";

    /// <summary>Redis's requirepass, or null for a Redis without one.</summary>
    public static string? RedisPassword => Environment.GetEnvironmentVariable("COMFYSNAP_REDIS_PASSWORD") is { Length: > 0 } p ? p : null;

    /// <summary>The object store `./comfysnap services start` runs (s3rver) and its generated key pair.</summary>
    public static int S3Port => int.Parse(Environment.GetEnvironmentVariable("COMFYSNAP_S3_PORT") ?? "9010");

    public static string? S3AccessKey => Environment.GetEnvironmentVariable("COMFYSNAP_S3_ACCESS_KEY") is { Length: > 0 } k ? k : null;

    public static string? S3SecretKey => Environment.GetEnvironmentVariable("COMFYSNAP_S3_SECRET_KEY") is { Length: > 0 } k ? k : null;

    public static string S3ServiceUrl => $"http://127.0.0.1:{S3Port}";

    /// <summary>The worker's ObjectStore settings for the test store.</summary>
    public static Dictionary<string, string?> ObjectStoreSettings() => new()
    {
        ["ObjectStore:ServiceUrl"] = S3ServiceUrl,
        ["ObjectStore:AccessKey"] = S3AccessKey ?? throw new InvalidOperationException("COMFYSNAP_S3_ACCESS_KEY is not set: run the tests through ./comfysnap (services start exports the object store's keys)"),
        ["ObjectStore:SecretKey"] = S3SecretKey,
        ["ObjectStore:RetryDelay"] = "00:00:00.050",
    };

    public static string RabbitMqUri => $"amqp://{Uri.EscapeDataString(RabbitMqUser)}:{Uri.EscapeDataString(RabbitMqPassword)}@127.0.0.1:{RabbitMqPort}/";

    /// <summary>A StackExchange.Redis configuration string (the worker's Cache:Redis), with the password when there is one.</summary>
    public static string RedisEndpoint => RedisPassword is { } password ? $"127.0.0.1:{RedisPort},password={password}" : $"127.0.0.1:{RedisPort}";

    /// <summary>The worker's settings for the test broker: host, port, user and password.</summary>
    public static Dictionary<string, string?> RabbitMqSettings() => new()
    {
        ["Bus:RabbitMq:Host"] = "127.0.0.1",
        ["Bus:RabbitMq:Port"] = RabbitMqPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bus:RabbitMq:Username"] = RabbitMqUser,
        ["Bus:RabbitMq:Password"] = RabbitMqPassword,
    };

    /// <summary>The test broker as the programs' shared RabbitMQ set-up takes it (for client buses).</summary>
    /// <remarks>COMFYSNAP_RABBITMQ_NODES (host:port,host:port) adds a broker cluster's nodes, e.g. for the bench on `services start --cluster`.</remarks>
    public static RabbitMqOptions Broker() => new()
    {
        Host = "127.0.0.1",
        Port = RabbitMqPort,
        Username = RabbitMqUser,
        Password = RabbitMqPassword,
        Nodes = [.. (Environment.GetEnvironmentVariable("COMFYSNAP_RABBITMQ_NODES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
    };

    /// <summary>Every secret of the test services, to search logs, events and snapshot images for.</summary>
    public static IReadOnlyList<string> ServiceSecrets =>
        [.. new[] { Environment.GetEnvironmentVariable("COMFYSNAP_RABBITMQ_PASSWORD"), RedisPassword, S3SecretKey }.OfType<string>().Where(s => s.Length > 0)];

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
        [NativeAllocatorTuning.VariableName] = NativeAllocatorTuning.For(Environment.GetEnvironmentVariable(NativeAllocatorTuning.VariableName)),
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
