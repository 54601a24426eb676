using ComfySnap.Contracts;
using ComfySnap.Engine.Validation;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Routing;

/// <summary>
/// The model files a validated workflow needs: every input its running nodes declare as a model
/// file (<see cref="InputSpec.ModelFile"/>), whatever the node or model kind, so a new loader node
/// needs no entry here. The gateway and the worker use it; both see the same node specs.
/// </summary>
public static class WorkflowModelSet
{
    /// <summary>The workflow's model set, or null when it names no model file.</summary>
    public static ModelSet? Of(ValidatedWorkflow workflow) => ModelSet.Of(ModelsOf(workflow));

    /// <summary>"kind/name" of every model-file input of the nodes that run (duplicates included).</summary>
    public static IEnumerable<string> ModelsOf(ValidatedWorkflow workflow)
    {
        foreach (var id in workflow.ExecutionOrder)
        {
            if (!workflow.Definitions.TryGetValue(id, out var spec) || !workflow.Literals.TryGetValue(id, out var literals))
            {
                continue;
            }

            foreach (var input in spec.Inputs)
            {
                if (input is { FileSource: FileSource.Model, ModelKind: { } kind }
                    && literals.TryGetValue(input.Name, out var value) && value is string { Length: > 0 } name)
                {
                    yield return ModelSet.ModelName(kind, ModelUrl.IdentityName(name));
                }
            }
        }
    }
}
