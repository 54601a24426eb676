using ComfySnap.Contracts;
using ComfySnap.Worker.Engine.Execution;
using ComfySnap.Worker.Engine.Validation;

namespace ComfySnap.Worker.Jobs;

/// <summary>Builds WorkflowFailed answers from validation reports and engine exceptions.</summary>
public static class JobFailures
{
    private static readonly IReadOnlyDictionary<string, NodeError> NoNodeErrors = new Dictionary<string, NodeError>();

    public static WorkflowFailed FromValidation(RunWorkflow job, ValidationReport report)
    {
        var kind = report.ExceedsLimits ? FailureKind.LimitExceeded
            : report.OnlyModelsMissing ? FailureKind.ModelNotFound
            : FailureKind.InvalidWorkflow;
        var nodeErrors = report.NodeErrors.ToDictionary(
            n => n.Key,
            n => new NodeError(n.Value.ClassType, [.. n.Value.Errors.Select(e => new NodeErrorDetail(e.Type, e.Message, e.Details, e.InputName))]),
            StringComparer.Ordinal);
        return new WorkflowFailed(job.JobId, job.BatchId, kind, report.Describe(), nodeErrors, [], Retryable: false);
    }

    public static WorkflowFailed FromNodeError(RunWorkflow job, NodeExecutionException e) =>
        new(job.JobId, job.BatchId, FailureKind.NodeError, e.Message,
            new Dictionary<string, NodeError>
            {
                [e.NodeId] = new(e.ClassType, [new NodeErrorDetail("execution_error", e.InnerException?.Message ?? e.Message, e.InnerException?.GetType().Name ?? "", null)]),
            },
            e.CompletedNodes, Retryable: false);

    public static WorkflowFailed Simple(RunWorkflow job, FailureKind kind, string message, IReadOnlyList<string> completedNodes, bool retryable) =>
        new(job.JobId, job.BatchId, kind, message, NoNodeErrors, completedNodes, retryable);
}
