using ComfySnap.Engine.Catalog;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Validation;

/// <summary>The checks a node declares (its image-size inputs): all the gateway can run from a published catalog.</summary>
public sealed class DeclaredNodeChecks(EngineLimits limits) : INodeChecks
{
    public IEnumerable<NodeValidationError> Check(NodeSpec node, IReadOnlyDictionary<string, object?> literals) =>
        node.ImageSize?.Check(new NodeInputs(literals), limits) ?? [];
}
