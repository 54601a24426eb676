using System.Text.Json.Nodes;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>A workflow input that names a file in the input folder (LoadImage's image, ...).</summary>
public readonly record struct InputFolderReference(JsonObject Inputs, string InputName, string FileName);

/// <summary>
/// Finds the inputs of a workflow (ComfyUI API format) that name input-folder files, by the
/// catalog's input specs; nodes of unknown classes and non-string values are skipped
/// (validation reports those).
/// </summary>
public static class InputFolderReferences
{
    public static IEnumerable<InputFolderReference> In(JsonObject workflow, INodeCatalog catalog)
    {
        foreach (var (_, value) in workflow)
        {
            if (value is not JsonObject node || node["inputs"] is not JsonObject inputs
                || node["class_type"] is not JsonValue type || !type.TryGetValue<string>(out var classType)
                || catalog.Find(classType) is not { } definition)
            {
                continue;
            }

            foreach (var spec in definition.Inputs.Where(s => s.FileSource == FileSource.InputFolder))
            {
                if (inputs[spec.Name] is JsonValue given && given.TryGetValue<string>(out var name))
                {
                    yield return new InputFolderReference(inputs, spec.Name, name);
                }
            }
        }
    }
}
