using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Graph;
using ComfySnap.Engine.Validation;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Engine;

/// <summary>The engine's front door: workflow text in, validation report or run result out.</summary>
public sealed class WorkflowEngine(WorkflowValidator validator, WorkflowExecutor executor, ILogger<WorkflowEngine> logger)
{
    /// <summary>Parses and validates; never throws for bad input, the report says what is wrong.</summary>
    public ValidationReport Validate(string workflowJson, out ValidatedWorkflow? validated)
    {
        validated = null;
        Workflow workflow;
        try
        {
            workflow = WorkflowParser.Parse(workflowJson);
        }
        catch (WorkflowParseException e)
        {
            return new ValidationReport(new WorkflowError(ValidationErrorTypes.InvalidJson, e.Message, e.Details), new Dictionary<string, NodeErrorReport>(), []);
        }

        var report = validator.Validate(workflow, out validated);
        foreach (var warning in report.Warnings)
        {
            logger.LogWarning("Workflow warning: {Warning}", warning);
        }

        return report;
    }

    public Task<ExecutionResult> RunAsync(ValidatedWorkflow workflow, Action<ExecutionProgress>? progress, CancellationToken cancellationToken) =>
        executor.RunAsync(workflow, progress, cancellationToken);

    /// <summary>Runs <paramref name="action"/> between workflow runs (<see cref="WorkflowExecutor.WhenIdleAsync"/>).</summary>
    public Task WhenIdleAsync(Action<NodeOutputCache> action, CancellationToken cancellationToken) =>
        executor.WhenIdleAsync(action, cancellationToken);
}
