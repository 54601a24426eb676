namespace ComfySnap.Operator.Submit;

/// <summary>One workflow to run: a name for its outputs (file stem, line number, repeat, seed) and the API-format JSON.</summary>
public sealed record WorkflowItem(string Name, string Workflow);
