namespace ComfySnap.Contracts;

/// <summary>Asks a worker to run one workflow. Sent to the worker queue (default <c>comfysnap-run-workflow</c>).</summary>
/// <param name="JobId">Caller-chosen id and idempotency key: a job id already completed is answered again, never run twice.</param>
/// <param name="Workflow">The workflow in ComfyUI API format (<c>{"&lt;node id&gt;": {"class_type": ..., "inputs": {...}}}</c>).</param>
/// <param name="BatchId">Optional id grouping jobs of one batch; echoed in the results.</param>
/// <param name="CachePolicy">How the output cache is used.</param>
/// <param name="Delivery">How outputs travel back; null: worker defaults.</param>
/// <param name="Deadline">When set, a job not finished by then fails with <see cref="FailureKind.Timeout"/>.</param>
/// <param name="InputFiles">Files the workflow reads from the input folder that the worker may not have (uploads); null or empty: none.</param>
/// <param name="ModelSet">The model files the workflow needs and their key (<see cref="Contracts.ModelSet.Of"/>), filled in by the gateway and the operator CLI so the job can be routed to a worker holding them; null: the worker derives it.</param>
/// <param name="Webhook">Where the result is posted (signed, retried) once the job completed or failed; null: no webhook.</param>
public sealed record RunWorkflow(
    string JobId,
    string Workflow,
    string? BatchId = null,
    CachePolicy CachePolicy = CachePolicy.Use,
    OutputDelivery? Delivery = null,
    DateTimeOffset? Deadline = null,
    IReadOnlyList<JobInputFile>? InputFiles = null,
    ModelSet? ModelSet = null,
    JobWebhook? Webhook = null);
