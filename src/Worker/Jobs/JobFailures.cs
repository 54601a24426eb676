using ComfySnap.Contracts;
using ComfySnap.NodeSdk;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Validation;

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
        new(job.JobId, job.BatchId, KindOf(e.InnerException), e.Message,
            new Dictionary<string, NodeError>
            {
                [e.NodeId] = new(e.ClassType, [new NodeErrorDetail(DetailTypeOf(e.InnerException), e.InnerException?.Message ?? e.Message, e.InnerException?.GetType().Name ?? "", null)]),
            },
            e.CompletedNodes, Retryable: KindOf(e.InnerException) == FailureKind.StorageFull);

    /// <summary>ENOSPC and EDQUOT: the errno .NET puts in an IOException's HResult on Linux.</summary>
    public static bool IsStorageFull(Exception? e) => e is IOException { HResult: 28 or 122 };

    private static FailureKind KindOf(Exception? cause) => cause switch
    {
        LimitExceededException => FailureKind.LimitExceeded,
        NonFiniteOutputException => FailureKind.NonFiniteOutput,
        _ when IsStorageFull(cause) => FailureKind.StorageFull,
        _ => FailureKind.NodeError,
    };

    private static string DetailTypeOf(Exception? cause) => cause is NonFiniteOutputException ? NonFiniteOutputException.ErrorType : "execution_error";

    public static WorkflowFailed Simple(RunWorkflow job, FailureKind kind, string message, IReadOnlyList<string> completedNodes, bool retryable) =>
        new(job.JobId, job.BatchId, kind, message, NoNodeErrors, completedNodes, retryable);
}
