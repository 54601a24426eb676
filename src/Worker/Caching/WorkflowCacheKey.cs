using System.Globalization;
using System.Reflection;
using System.Text.Json;
using ComfySnap.NodeSdk;
using ComfySnap.Worker.Boot;
using ComfySnap.Engine.Graph;
using ComfySnap.Engine.Validation;
using ComfySnap.Worker.Jobs;
using ComfySnap.Diffusion.Models;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// The output cache key of a validated workflow: sha256 of its canonical form, the size and mtime of
/// every model and input file it names (job input files: their content hash, which is their name), the worker and node-pack versions,
/// and the dtype the UNet computes in (Models:UnetDtype: a bf16 image is never served for an fp32 request, nor the reverse).
/// </summary>
public sealed class WorkflowCacheKey(ModelStore models, IWorkspace workspace, EngineBoot boot, IOptions<ModelStoreOptions> modelOptions)
{
    private static readonly string WorkerVersion =
        typeof(WorkflowCacheKey).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    // The node packs are fixed once the worker has booted (keys are computed only after that).
    private string? _packs;

    public string Compute(ValidatedWorkflow workflow)
    {
        // Only the nodes that run: nodes no output needs cannot change the outputs, and may even sit
        // on a cycle that validation accepts (found by the bus fuzzer: the key threw, the job went unanswered).
        var executed = new Engine.Graph.Workflow(workflow.ExecutionOrder.ToDictionary(id => id, id => workflow.Workflow.Nodes[id], StringComparer.Ordinal));
        var canonical = WorkflowNormalizer.Normalize(executed, (node, input, value) => Fingerprint(workflow, node, input, value));
        _packs ??= string.Join(",", boot.Packs.Select(p => $"{p.Name}@{p.Version}").Order(StringComparer.Ordinal));
        return WorkflowNormalizer.Sha256Hex($"{canonical}\nworker={WorkerVersion}\npacks={_packs}\nunet={UnetDtype.NameOf(modelOptions.Value.ResolvedUnetDtype)}");
    }

    private string? Fingerprint(ValidatedWorkflow workflow, WorkflowNode node, string input, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String || !workflow.Definitions.TryGetValue(node.Id, out var definition))
        {
            return null;
        }

        var spec = definition.Inputs.FirstOrDefault(i => i.Name == input);
        // A pinned model URL names its content (the sha256 is in the canonical text): the key needs
        // neither the downloaded file nor its mtime, so it is known before the download.
        if (spec?.FileSource == FileSource.Model && ModelUrl.TryParse(value.GetString()!, out _) is not null)
        {
            return "content-addressed";
        }

        var path = spec?.FileSource switch
        {
            FileSource.Model when spec.ModelKind is { } kind => models.TryResolve(kind, value.GetString()!),
            FileSource.InputFolder => workspace.TryResolveInput(value.GetString()!),
            _ => null,
        };
        if (path is null)
        {
            return null;
        }

        // A job input file's name is its content hash (already in the canonical text): no mtime, so
        // every worker that materialises it computes the same key.
        if (string.Equals(Path.GetDirectoryName(path), Path.Combine(workspace.InputDirectory, InputFileMaterializer.Folder), StringComparison.Ordinal))
        {
            return "content-addressed";
        }

        var file = new FileInfo(path);
        return string.Create(CultureInfo.InvariantCulture, $"{file.Length}:{file.LastWriteTimeUtc.Ticks}");
    }
}
