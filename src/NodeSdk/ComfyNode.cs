namespace ComfySnap.NodeSdk;

/// <summary>
/// A node: declares its inputs, outputs and category, and does its one piece of work in
/// <see cref="ExecuteAsync"/>. One node per file; <see cref="ClassType"/> is ComfyUI's name.
/// Subclasses need a public parameterless constructor (node packs are discovered by reflection).
/// </summary>
public abstract class ComfyNode
{
    public abstract string ClassType { get; }

    public abstract string Category { get; }

    public abstract IReadOnlyList<InputSpec> Inputs { get; }

    /// <summary>Output types in order (ComfyUI's RETURN_TYPES).</summary>
    public abstract IReadOnlyList<string> Outputs { get; }

    /// <summary>An output node produces a result of the workflow (ComfyUI's OUTPUT_NODE).</summary>
    public virtual bool IsOutputNode => false;

    /// <summary>False for nodes whose result may change with the same inputs: never cached.</summary>
    public virtual bool IsIdempotent => true;

    /// <summary>
    /// Inputs that size an image, checked against the engine's limits during validation. Declared
    /// checks are published with the node catalog, so the gateway runs them too.
    /// </summary>
    public virtual ImageSizeInputs? ImageSize => null;

    /// <summary>
    /// Checks on the literal inputs, run during validation on workers: by default the declared
    /// <see cref="ImageSize"/>. Code here is not published: the gateway cannot run an override.
    /// </summary>
    public virtual IEnumerable<NodeValidationError> Validate(NodeInputs literals, NodeValidationContext context) =>
        ImageSize?.Check(literals, context.Limits) ?? [];

    /// <summary>Runs the node. Tensors it returns are owned by the engine from then on.</summary>
    public abstract ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken);
}
