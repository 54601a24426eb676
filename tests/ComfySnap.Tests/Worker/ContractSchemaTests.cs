using ComfySnap.Tools;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Bus;

namespace ComfySnap.Tests.Worker;

/// <summary>The committed JSON Schemas (src/Contracts/schemas) are what the records generate.</summary>
public sealed class ContractSchemaTests
{
    [Fact]
    public void Committed_schemas_match_the_contract_records()
    {
        var folder = Path.Combine(TestEnvironment.RepoRoot, "src", "Contracts", "schemas");
        var generated = ContractSchemas.Generate();
        var committed = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.schema.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
        Assert.True(generated.Keys.Order(StringComparer.Ordinal).SequenceEqual(committed),
            $"schema files differ from the contracts; regenerate: ./comfysnap worker schemas src/Contracts/schemas");
        foreach (var (name, text) in generated)
        {
            Assert.True(text == File.ReadAllText(Path.Combine(folder, name)),
                $"{name} is stale: a contract changed; regenerate: ./comfysnap worker schemas src/Contracts/schemas");
        }
    }

    [Fact]
    public void Run_workflow_schema_has_optional_input_files_and_required_job_id()
    {
        var schema = System.Text.Json.Nodes.JsonNode.Parse(ContractSchemas.Generate()["RunWorkflow.schema.json"])!;
        var required = schema["required"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("jobId", required);
        Assert.DoesNotContain("inputFiles", required);
        Assert.NotNull(schema["properties"]!["inputFiles"]);
    }
}
