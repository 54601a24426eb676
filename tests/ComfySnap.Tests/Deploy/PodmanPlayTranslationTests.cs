using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ComfySnap.TestSupport;

namespace ComfySnap.Tests.Deploy;

/// <summary>
/// deploy/k8s/check/podman-play.mjs: the copies of the real manifests that podman 4.3's
/// `kube play` runs in the local kube check (`./comfysnap test --containers`). Only the changes
/// podman forces, and the Secret carries exactly secret.yaml's keys.
/// </summary>
public sealed class PodmanPlayTranslationTests : IDisposable
{
    private const string Node = "/usr/bin/node";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string ManifestDirectory = Path.Combine(TestEnvironment.RepoRoot, "deploy/k8s");
    private readonly string _directory = TestEnvironment.NewTempDirectory("podman-play");

    [Trait("Category", "Integration")]
    [Fact]
    public async Task The_job_becomes_one_pod_that_runs_once_without_a_seccomp_filter()
    {
        var result = await TranslateAsync(SecretValues(), "--replicas", "comfysnap-worker=2");
        Assert.True(result.ExitCode == 0, result.ToString());

        var job = await File.ReadAllTextAsync(Path.Combine(Out, "snapshot-job.yaml"));
        Assert.DoesNotContain("kind: Job", job, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(job, "^kind: Pod$", RegexOptions.Multiline));
        Assert.Contains("name: comfysnap-snapshot\n", job, StringComparison.Ordinal);
        Assert.Contains("restartPolicy: Never", job, StringComparison.Ordinal);
        Assert.Contains("container.seccomp.security.alpha.kubernetes.io/builder: unconfined", job, StringComparison.Ordinal);
        Assert.DoesNotContain("seccompProfile", job, StringComparison.Ordinal);
        Assert.Contains("- SYS_ADMIN", job, StringComparison.Ordinal); // the capability is the manifest's, kept
    }

    [Trait("Category", "Integration")]
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Each_worker_replica_is_a_pod_with_its_own_loopback_host_port_and_no_probes(int replicas)
    {
        var result = await TranslateAsync(SecretValues(), "--replicas", $"comfysnap-worker={replicas}", "--port-base", "20000");
        Assert.True(result.ExitCode == 0, result.ToString());

        var worker = await File.ReadAllTextAsync(Path.Combine(Out, "worker.yaml"));
        var names = Regex.Matches(worker, @"^  name: (\S+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Enumerable.Range(0, replicas).Select(i => $"comfysnap-worker-{i}"), names);
        Assert.DoesNotContain("Probe", worker, StringComparison.Ordinal);
        Assert.Equal(replicas, Regex.Count(worker, "container.seccomp.security.alpha.kubernetes.io/worker: runtime/default"));
        Assert.Equal(replicas, Regex.Count(worker, "hostIP: 127.0.0.1"));

        var rows = (await File.ReadAllLinesAsync(Path.Combine(Out, "ports.tsv"))).Select(line => line.Split('\t')).ToList();
        var hostPorts = rows.Select(row => int.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(hostPorts.Count, hostPorts.Distinct().Count());
        Assert.All(hostPorts, port => Assert.InRange(port, 20000, 20000 + rows.Count - 1));
        Assert.Equal(replicas, rows.Count(row => row[0].StartsWith("comfysnap-worker-", StringComparison.Ordinal) && row[1] == "health" && row[2] == "8081"));
        // The gateway Deployment's two replicas, as in gateway.yaml; its Service is not played.
        Assert.Equal(2, rows.Count(row => row[0].StartsWith("comfysnap-gateway-", StringComparison.Ordinal) && row[2] == "8188"));
        Assert.DoesNotContain("kind: Service", await File.ReadAllTextAsync(Path.Combine(Out, "gateway.yaml")), StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task The_secret_holds_secret_yamls_keys_with_this_runs_values_readable_only_by_its_owner()
    {
        var values = SecretValues();
        var result = await TranslateAsync(values);
        Assert.True(result.ExitCode == 0, result.ToString());

        var file = Path.Combine(Out, "secret.json");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        var decoded = json.RootElement.EnumerateObject()
            .ToDictionary(p => p.Name, p => Encoding.UTF8.GetString(Convert.FromBase64String(p.Value.GetString()!)));
        Assert.Equal(values, decoded);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        Assert.Equal("comfysnap-runtime", (await File.ReadAllTextAsync(Path.Combine(Out, "secret-name"))).Trim());
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task A_secret_value_missing_for_one_of_secret_yamls_keys_fails()
    {
        var values = SecretValues();
        values.Remove("rabbitmq-uri");

        var result = await TranslateAsync(values);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing: rabbitmq-uri", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Out, "secret.json")));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // leave temp files behind rather than fail a test
        }
    }

    private string Out => Path.Combine(_directory, "out");

    // Every key secret.yaml lists, each with a value of its own.
    private static Dictionary<string, string> SecretValues()
    {
        var text = File.ReadAllText(Path.Combine(ManifestDirectory, "secret.yaml"));
        var keys = Regex.Matches(text[text.IndexOf("stringData:", StringComparison.Ordinal)..], @"^  ([A-Za-z_][A-Za-z0-9_-]*): ", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("COMFYSNAP_SNAPSHOT_SIGNING_KEY", keys); // the parse found the Secret's keys
        Assert.Contains("rabbitmq-uri", keys);
        return keys.ToDictionary(key => key, key => $"value-of-{key}-{Guid.NewGuid():N}");
    }

    private async Task<ProgramResult> TranslateAsync(Dictionary<string, string> secretValues, params string[] options)
    {
        var check = Path.Combine(ManifestDirectory, "check");
        Assert.True(Directory.Exists(Path.Combine(check, "node_modules")),
            $"{check}/node_modules is missing: `./comfysnap test` runs npm ci there (install_example_packages)");
        var env = Path.Combine(_directory, "runtime.env");
        await File.WriteAllLinesAsync(env, secretValues.Select(p => $"{p.Key}={p.Value}"));
        return await ExternalProgram.RunAsync(Node,
            [Path.Combine(check, "podman-play.mjs"), "--manifests", ManifestDirectory, "--out", Out, "--secret-env", env, .. options], Timeout);
    }
}
