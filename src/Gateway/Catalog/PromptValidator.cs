using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Engine.Graph;
using ComfySnap.Engine.Routing;
using ComfySnap.Engine.Validation;

namespace ComfySnap.Gateway.Catalog;

/// <summary>The outcome of validating a prompt at the gateway.</summary>
/// <param name="Error">ComfyUI's 400 answer (<c>{error, node_errors}</c>), or null when valid.</param>
/// <param name="Outputs">Output nodes to execute.</param>
/// <param name="Order">The order the worker will run the nodes in.</param>
/// <param name="ModelSet">The model files the prompt needs (routes the job to a worker holding them), null when none.</param>
public sealed record PromptValidation(JsonObject? Error, IReadOnlyList<string> Outputs, IReadOnlyList<string> Order, ModelSet? ModelSet = null);

/// <summary>
/// Validates a prompt with the workers' validator over the catalog they published and shapes a
/// rejection as ComfyUI's /prompt does. Null while there is no catalog.
/// </summary>
public sealed class PromptValidator(GatewayCatalog catalog)
{
    /// <param name="promptJson">The prompt (API format).</param>
    /// <param name="uploadedInputs">Input file names that are uploads in Redis (they travel with the job).</param>
    public PromptValidation? Validate(string promptJson, IReadOnlySet<string>? uploadedInputs = null)
    {
        if (catalog.Current is not { } current)
        {
            return null;
        }

        ValidationReport report;
        ValidatedWorkflow? validated = null;
        try
        {
            report = current.Validator.Validate(WorkflowParser.Parse(promptJson), out validated, uploadedInputs);
        }
        catch (WorkflowParseException e)
        {
            report = new ValidationReport(new WorkflowError(ValidationErrorTypes.InvalidJson, e.Message, e.Details), new Dictionary<string, NodeErrorReport>(), []);
        }

        if (validated is not null)
        {
            return new PromptValidation(null, validated.OutputNodeIds, validated.ExecutionOrder, WorkflowModelSet.Of(validated));
        }

        var answer = ComfyErrorJson.ToJson(report);
        if (answer["error"] is JsonObject error)
        {
            error["extra_info"] = new JsonObject();
        }

        foreach (var (_, node) in (JsonObject)answer["node_errors"]!)
        {
            // ComfyUI names the output nodes each broken node stops; the gateway rejects the whole prompt.
            ((JsonObject)node!)["dependent_outputs"] = new JsonArray();
        }

        return new PromptValidation(answer, [], []);
    }
}
