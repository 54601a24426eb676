using System.Text.RegularExpressions;
using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.TestSupport;

namespace ComfySnap.Tests.Deploy;

/// <summary>
/// deploy/k8s checked against the Kubernetes API and KEDA CRD schemas without a cluster:
/// deploy/k8s/check/validate.mjs over the kubernetes-models packages from npm (installed by
/// `./comfysnap test`: install_example_packages). Broken copies prove the check can fail.
/// </summary>
public sealed class KubernetesManifestTests : IDisposable
{
    private const string Node = "/usr/bin/node";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string ManifestDirectory = Path.Combine(TestEnvironment.RepoRoot, "deploy/k8s");
    private readonly string _broken = TestEnvironment.NewTempDirectory("k8s-broken");

    public static TheoryData<string> Manifests() =>
        new(Directory.GetFiles(ManifestDirectory, "*.yaml").Select(Path.GetFileName).OfType<string>().Order());

    [Fact]
    public void The_manifests_have_every_kind_the_deployment_needs()
    {
        var kinds = Directory.GetFiles(ManifestDirectory, "*.yaml")
            .SelectMany(File.ReadAllLines)
            .Where(line => line.StartsWith("kind: ", StringComparison.Ordinal))
            .Select(line => line["kind: ".Length..].Trim())
            .ToHashSet();
        Assert.Superset(new HashSet<string> { "Deployment", "Service", "Job", "Secret", "ScaledObject", "TriggerAuthentication" }, kinds);
    }

    [Fact]
    public void The_model_queue_scaler_watches_the_queue_of_the_set_its_deployment_preloads()
    {
        var shared = Regex.Match(File.ReadAllText(Path.Combine(ManifestDirectory, "keda.yaml")), @"queueName: ([^,\s]+)").Groups[1].Value;
        var text = File.ReadAllText(Path.Combine(ManifestDirectory, "keda-model-queues.yaml"));
        var preloaded = Regex.Matches(text, @"name: COMFYSNAP_Models__Preload__\d+, value: ([^ }]+)").Select(m => m.Groups[1].Value).ToList();
        var watched = Regex.Match(text, @"queueName: ([^,\s]+)").Groups[1].Value;

        Assert.NotEmpty(preloaded);
        Assert.Equal(new ModelRoutes(shared).ModelQueue(ModelSet.Of(preloaded)!.Key), watched);
        Assert.Contains("name: COMFYSNAP_Routing__Enabled, value: \"true\"", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gateway.yaml")]
    [InlineData("worker.yaml")]
    public void Deployment_probes_ready_for_readiness_and_health_for_liveness(string file)
    {
        var text = File.ReadAllText(Path.Combine(ManifestDirectory, file));
        Assert.Matches(@"readinessProbe:\s*\n\s*httpGet: \{ path: /ready,", text);
        Assert.Matches(@"livenessProbe:\s*\n\s*httpGet: \{ path: /health,", text);
    }

    [Trait("Category", "Integration")]
    [Theory]
    [MemberData(nameof(Manifests))]
    public async Task Manifest_is_valid_against_its_schema(string file)
    {
        var result = await ValidateAsync(Path.Combine(ManifestDirectory, file));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("0 valid", result.Stdout, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Theory]
    // A number where the schema wants an integer (replicas: "two").
    [InlineData("worker.yaml", "  replicas: 1\n", "  replicas: two\n", "/spec/replicas must be integer")]
    // A required field missing (the pod template's containers).
    [InlineData("worker.yaml", "      containers:\n", "      initContainers:\n", "/spec/template/spec must have required property containers")]
    // A misspelled required field of the KEDA CRD.
    [InlineData("keda.yaml", "  scaleTargetRef:", "  scaleTarget:", "/spec must have required property scaleTargetRef")]
    // A string where KEDA wants an integer.
    [InlineData("keda.yaml", "  minReplicaCount: 0\n", "  minReplicaCount: zero\n", "/spec/minReplicaCount must be integer")]
    // A Job's restartPolicy of the wrong type.
    [InlineData("snapshot-job.yaml", "      restartPolicy: Never\n", "      restartPolicy: [Never]\n", "restartPolicy must be string")]
    // A kind that has no schema.
    [InlineData("secret.yaml", "kind: Secret\n", "kind: Secrett\n", "no schema for apiVersion \"v1\" kind \"Secrett\"")]
    public async Task A_broken_copy_fails_with_the_schema_error(string file, string original, string broken, string expectedError)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(ManifestDirectory, file));
        Assert.Contains(original, text, StringComparison.Ordinal); // the test still breaks what it means to break
        var copy = Path.Combine(_broken, file);
        await File.WriteAllTextAsync(copy, text.Replace(original, broken, StringComparison.Ordinal));

        var result = await ValidateAsync(copy);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expectedError, result.Stdout, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_broken, recursive: true);
        }
        catch (IOException)
        {
            // leave temp files behind rather than fail a test
        }
    }

    private static Task<ProgramResult> ValidateAsync(string file)
    {
        var check = Path.Combine(ManifestDirectory, "check");
        Assert.True(Directory.Exists(Path.Combine(check, "node_modules")),
            $"{check}/node_modules is missing: `./comfysnap test` runs npm ci there (install_example_packages)");
        return ExternalProgram.RunAsync(Node, [Path.Combine(check, "validate.mjs"), file], Timeout);
    }
}
