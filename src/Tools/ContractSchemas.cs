using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ComfySnap.Contracts;

namespace ComfySnap.Tools;

/// <summary>
/// JSON Schemas of every message contract as it travels (the <c>message</c> of MassTransit's envelope,
/// or the whole body of a plain JSON RunWorkflow): camelCase names, enums as numbers, nullability
/// from the records. Generated from the C# records with System.Text.Json's JsonSchemaExporter.
/// </summary>
public static class ContractSchemas
{
    /// <summary>Every message type a publisher sends or a consumer reads.</summary>
    public static IReadOnlyList<Type> Messages { get; } =
    [
        typeof(RunWorkflow), typeof(CancelWorkflow), typeof(WorkflowAccepted), typeof(WorkflowProgress),
        typeof(WorkflowCompleted), typeof(WorkflowFailed), typeof(JobTimings), typeof(WorkerBooted),
        typeof(WorkerHeartbeat), typeof(DeliverWebhook), typeof(WebhookDeadLetter),
    ];

    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    /// <summary>File name (TypeName.schema.json) -> schema text, newline-terminated.</summary>
    public static IReadOnlyDictionary<string, string> Generate() =>
        Messages.ToDictionary(t => $"{t.Name}.schema.json", t => Schema(t).ToJsonString(Pretty).ReplaceLineEndings("\n") + "\n", StringComparer.Ordinal);

    /// <summary>Writes every schema into <paramref name="directory"/>; returns the files written.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var (name, text) in Generate())
        {
            var path = Path.Combine(directory, name);
            await File.WriteAllTextAsync(path, text, cancellationToken).ConfigureAwait(false);
            written.Add(path);
        }

        return written;
    }

    private static JsonObject Schema(Type type)
    {
        var schema = Wire.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"urn:message:{type.Namespace}:{type.Name}",
            ["title"] = type.Name,
        };
        foreach (var (key, value) in schema.AsObject())
        {
            root[key] = value?.DeepClone();
        }

        return root;
    }
}
