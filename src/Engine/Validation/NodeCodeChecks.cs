using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Nodes;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Validation;

/// <summary>A worker's checks: each node's own <see cref="ComfyNode.Validate"/> (the declared checks by default, or a node pack's code).</summary>
public sealed class NodeCodeChecks(NodeRegistry registry, IModelStore models, IWorkspace workspace, EngineLimits limits) : INodeChecks
{
    private readonly NodeValidationContext _context = new(limits, models, workspace);

    public IEnumerable<NodeValidationError> Check(NodeSpec node, IReadOnlyDictionary<string, object?> literals) =>
        registry.TryGet(node.ClassType, out var code) ? code.Validate(new NodeInputs(literals), _context) : [];
}
