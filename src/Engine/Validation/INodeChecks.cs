using ComfySnap.Engine.Catalog;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Validation;

/// <summary>The checks of one node's converted literal inputs as a whole (sizes against limits, ...).</summary>
public interface INodeChecks
{
    IEnumerable<NodeValidationError> Check(NodeSpec node, IReadOnlyDictionary<string, object?> literals);
}
