namespace ComfySnap.Contracts;

/// <summary>Every problem of one node, as ComfyUI's <c>node_errors</c> entry.</summary>
/// <param name="ClassType">The node's class_type.</param>
/// <param name="Errors">Its problems.</param>
public sealed record NodeError(string ClassType, IReadOnlyList<NodeErrorDetail> Errors);

/// <summary>One problem of a node.</summary>
/// <param name="Type">Machine-readable type (ComfyUI's, e.g. <c>required_input_missing</c>).</param>
/// <param name="Message">Short message.</param>
/// <param name="Details">Details.</param>
/// <param name="InputName">The input concerned, if any.</param>
public sealed record NodeErrorDetail(string Type, string Message, string Details, string? InputName);
