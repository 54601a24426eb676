using ComfySnap.NodeSdk;
using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Graph;
using static ComfySnap.Engine.Validation.ValidationErrorTypes;

namespace ComfySnap.Engine.Validation;

/// <summary>
/// Checks a whole workflow before anything runs and reports every problem at once, shaped like
/// ComfyUI's answer (a top-level error plus node_errors per node id). Works on node specs, so a
/// worker (its registry, folders and node code checks) and the gateway (the published catalog and
/// the declared checks) run this one validator.
/// </summary>
public sealed class WorkflowValidator(INodeCatalog nodes, IFileCatalog files, INodeChecks checks, EngineLimits limits)
{
    private readonly EngineLimits _limits = limits;

    /// <param name="workflow">The parsed workflow.</param>
    /// <param name="validated">The validated workflow, when valid.</param>
    /// <param name="providedInputs">Input-folder file names the job brings along (uploads travelling as job input files): valid without being on disk here.</param>
    public ValidationReport Validate(Workflow workflow, out ValidatedWorkflow? validated, IReadOnlySet<string>? providedInputs = null)
    {
        validated = null;
        var warnings = new List<string>();
        if (workflow.Nodes.Count > _limits.MaxNodes)
        {
            return Fail(new WorkflowError(LimitExceeded, $"Workflow has {workflow.Nodes.Count} nodes, more than the limit of {_limits.MaxNodes}", $"nodes: {workflow.Nodes.Count} > {_limits.MaxNodes}"), [], warnings);
        }

        var errors = new Dictionary<string, NodeErrorReport>(StringComparer.Ordinal);
        var definitions = new Dictionary<string, NodeSpec>(StringComparer.Ordinal);
        var literals = new Dictionary<string, IReadOnlyDictionary<string, object?>>(StringComparer.Ordinal);
        foreach (var node in workflow.Nodes.Values)
        {
            if (nodes.Find(node.ClassType) is not { } definition)
            {
                errors[node.Id] = new NodeErrorReport(node.ClassType, [new(MissingNodeType, $"Node type '{node.ClassType}' does not exist", $"Node ID '#{node.Id}'; known types include: {ClassTypeSuggestions.Near(nodes, node.ClassType)}", null)]);
                continue;
            }

            definitions[node.Id] = definition;
            var nodeErrors = new List<NodeValidationError>();
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var spec in definition.Inputs)
            {
                CheckInput(workflow, node, spec, values, nodeErrors, providedInputs);
            }

            foreach (var extra in node.Inputs.Keys.Where(k => definition.Inputs.All(s => s.Name != k)))
            {
                warnings.Add($"node {node.Id} ({node.ClassType}): input '{extra}' is not declared by the node and is ignored");
            }

            // Cross-input checks (sizes against limits) need every input converted; range errors
            // alone do not stop them, so a huge image reports limit_exceeded too.
            if (nodeErrors.All(e => e.Type is not (InvalidInputType or RequiredInputMissing)))
            {
                nodeErrors.AddRange(checks.Check(definition, values));
                nodeErrors.AddRange(CheckStepLimit(values));
            }

            if (nodeErrors.Count > 0)
            {
                errors[node.Id] = new NodeErrorReport(node.ClassType, nodeErrors);
            }

            literals[node.Id] = values;
        }

        var outputs = definitions.Where(d => d.Value.IsOutputNode).Select(d => d.Key).ToList();
        if (outputs.Count == 0 && errors.Count == 0)
        {
            return Fail(new WorkflowError(PromptNoOutputs, "Prompt has no outputs", "the workflow needs at least one output node, e.g. SaveImage or PreviewImage"), errors, warnings);
        }

        var order = TopologicalOrder(workflow, workflow.AncestorsOf(outputs), errors);
        if (errors.Count > 0)
        {
            return Fail(new WorkflowError(PromptOutputsFailedValidation, "Prompt outputs failed validation", $"{errors.Count} node(s) with errors"), errors, warnings);
        }

        validated = new ValidatedWorkflow(workflow, definitions, literals, order, outputs, warnings);
        return new ValidationReport(null, errors, warnings);
    }

    private void CheckInput(Workflow workflow, WorkflowNode node, InputSpec spec, Dictionary<string, object?> values, List<NodeValidationError> errors, IReadOnlySet<string>? providedInputs)
    {
        if (!node.Inputs.TryGetValue(spec.Name, out var input))
        {
            if (spec.Required)
            {
                errors.Add(new(RequiredInputMissing, "Required input is missing", $"{spec.Name} ({spec.Type})", spec.Name));
            }
            else
            {
                values[spec.Name] = spec.Default;
            }

            return;
        }

        switch (input)
        {
            case WorkflowInput.Link link:
                CheckLink(workflow, spec, link, errors);
                break;
            case WorkflowInput.Literal literal when !ComfyTypes.IsLiteral(spec.Type):
                errors.Add(new(InvalidInputType, $"Input must be a link to a {spec.Type} output", $"{spec.Name}: got the literal {Shorten(literal.Value.GetRawText())}", spec.Name));
                break;
            case WorkflowInput.Literal literal when !LiteralConverter.TryConvert(literal.Value, spec.Type, out var converted):
                errors.Add(new(InvalidInputType, $"Failed to convert an input value to a {spec.Type} value", $"{spec.Name}, {Shorten(literal.Value.GetRawText())}", spec.Name));
                break;
            case WorkflowInput.Literal literal:
                LiteralConverter.TryConvert(literal.Value, spec.Type, out var value);
                values[spec.Name] = value;
                CheckLiteral(spec, value, errors, providedInputs);
                break;
        }
    }

    private void CheckLink(Workflow workflow, InputSpec spec, WorkflowInput.Link link, List<NodeValidationError> errors)
    {
        if (!workflow.Nodes.TryGetValue(link.NodeId, out var source))
        {
            errors.Add(new(BadLinkedInput, $"Bad linked input: node '{link.NodeId}' does not exist", $"{spec.Name}: [\"{link.NodeId}\", {link.OutputIndex}]", spec.Name));
            return;
        }

        if (nodes.Find(source.ClassType) is not { } sourceDefinition)
        {
            return; // The source node reports its own unknown type.
        }

        if (link.OutputIndex < 0 || link.OutputIndex >= sourceDefinition.Outputs.Count)
        {
            errors.Add(new(BadLinkedInput, $"Bad linked input: node '{link.NodeId}' ({source.ClassType}) has no output {link.OutputIndex}", $"{spec.Name}: it has {sourceDefinition.Outputs.Count} output(s)", spec.Name));
            return;
        }

        var received = sourceDefinition.Outputs[link.OutputIndex];
        var accepted = spec.Type == ComfyTypes.Combo ? received is ComfyTypes.Combo or ComfyTypes.String : received == spec.Type || spec.Type == "*";
        if (!accepted)
        {
            errors.Add(new(ReturnTypeMismatch, "Return type mismatch between linked nodes", $"{spec.Name}, received_type({received}) mismatch input_type({spec.Type})", spec.Name));
        }
    }

    private void CheckLiteral(InputSpec spec, object? value, List<NodeValidationError> errors, IReadOnlySet<string>? providedInputs)
    {
        if (value is long or double)
        {
            var number = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            if (spec.Min is { } min && number < min)
            {
                errors.Add(new(ValueSmallerThanMin, $"Value {value} smaller than min of {min}", $"{spec.Name}", spec.Name));
            }

            if (spec.Max is { } max && number > max)
            {
                errors.Add(new(ValueBiggerThanMax, $"Value {value} bigger than max of {max}", $"{spec.Name}", spec.Name));
            }

            return;
        }

        if (value is not string text)
        {
            return;
        }

        switch (spec.FileSource)
        {
            case FileSource.Model:
                CheckModelName(spec, text, errors);
                break;
            case FileSource.InputFolder:
                // A URL is fetched by the worker before its own validation: only its form is checked here.
                if (InputUrls.TryParse(text, out _))
                {
                    break;
                }

                if (!FileNames.IsInside(text))
                {
                    errors.Add(new(PathEscapesFolder, "File name escapes the input folder", $"{spec.Name}: '{text}'", spec.Name));
                }
                else if (providedInputs?.Contains(text) != true && !files.HasInput(text))
                {
                    errors.Add(new(ValueNotInList, $"Input file '{text}' not found in the input folder", $"{spec.Name}: '{text}' not in {files.InputDirectory}", spec.Name));
                }

                break;
            case FileSource.OutputPrefix:
                // Inside the output folder whatever the folder is (as IWorkspace.IsSafeOutputPrefix), so the gateway checks it too.
                if (!FileNames.IsInside(text + "_x"))
                {
                    errors.Add(new(PathEscapesFolder, "Filename prefix escapes the output folder", $"{spec.Name}: '{Shorten(text)}'", spec.Name));
                }
                else if (FileNames.HasOverlongPart(text))
                {
                    errors.Add(new(FileNameTooLong, $"A part of the filename prefix is longer than {FileNames.MaxComponentBytes} bytes", $"{spec.Name}: '{Shorten(text)}'", spec.Name));
                }

                break;
            default:
                if (spec.Choices is { } choices && !choices.Contains(text))
                {
                    errors.Add(new(ValueNotInList, "Value not in list", $"{spec.Name}: '{text}' not in [{string.Join(", ", choices.Select(c => $"'{c}'"))}]", spec.Name));
                }

                break;
        }
    }

    private void CheckModelName(InputSpec spec, string name, List<NodeValidationError> errors)
    {
        var kind = spec.ModelKind ?? "models";
        if (ModelUrl.LooksLikeUrl(name))
        {
            // A pinned URL is downloaded by the worker before its own validation: only its form is checked here.
            if (ModelUrl.TryParse(name, out var why) is null)
            {
                errors.Add(new(InvalidModelUrl, $"Model URL {why}", $"{spec.Name}: '{Shorten(name)}' (expected https://host/path/file.safetensors#sha256=<64 hex digits>)", spec.Name));
            }
        }
        else if (!FileNames.IsInside(name))
        {
            errors.Add(new(PathEscapesFolder, $"Model name escapes the {kind} folder", $"{spec.Name}: '{name}'", spec.Name));
        }
        else if (!files.HasModel(kind, name))
        {
            var available = files.Models(kind);
            errors.Add(new(ModelNotFound, $"Model '{name}' not found in {kind}", $"{spec.Name}: available: [{string.Join(", ", available)}]", spec.Name));
        }
    }

    // Kahn's algorithm over the nodes the outputs need, in JSON order for ties; what is left
    // over sits on a cycle.
    private static List<string> TopologicalOrder(Workflow workflow, IReadOnlySet<string> needed, Dictionary<string, NodeErrorReport> errors)
    {
        var ids = workflow.Nodes.Keys.Where(needed.Contains).ToList();
        var dependencies = ids.ToDictionary(id => id, id => workflow.Nodes[id].Inputs.Values.OfType<WorkflowInput.Link>()
            .Select(l => l.NodeId).Where(needed.Contains).Where(workflow.Nodes.ContainsKey).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var order = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        bool progressed;
        do
        {
            progressed = false;
            foreach (var id in ids.Where(id => !done.Contains(id) && dependencies[id].All(done.Contains)).ToList())
            {
                order.Add(id);
                done.Add(id);
                progressed = true;
            }
        }
        while (progressed);

        foreach (var id in ids.Where(id => !done.Contains(id)))
        {
            var error = new NodeValidationError(DependencyCycle, "Dependency cycle detected", $"node {id} depends on itself through [{string.Join(", ", dependencies[id].Where(d => !done.Contains(d)))}]", null);
            errors[id] = errors.TryGetValue(id, out var existing) ? existing with { Errors = [.. existing.Errors, error] } : new NodeErrorReport(workflow.Nodes[id].ClassType, [error]);
        }

        return order;
    }

    private IEnumerable<NodeValidationError> CheckStepLimit(Dictionary<string, object?> values)
    {
        if (values.TryGetValue("steps", out var steps) && steps is long n && n > _limits.MaxSteps)
        {
            yield return new(LimitExceeded, $"steps {n} is over the limit of {_limits.MaxSteps}", "Engine:Limits:MaxSteps", "steps");
        }
    }

    private static ValidationReport Fail(WorkflowError error, Dictionary<string, NodeErrorReport> errors, List<string> warnings) => new(error, errors, warnings);

    private static string Shorten(string text) => text.Length > 60 ? text[..57] + "..." : text;
}
