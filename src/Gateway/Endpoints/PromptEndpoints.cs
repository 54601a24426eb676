using System.Diagnostics;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Gateway.Bus;
using ComfySnap.Gateway.Catalog;
using ComfySnap.Gateway.Relay;
using ComfySnap.Gateway.State;
using ComfySnap.Gateway.Telemetry;
using ComfySnap.Gateway.Uploads;
using StackExchange.Redis;

namespace ComfySnap.Gateway.Endpoints;

/// <summary><c>POST /prompt</c> (validate, queue as RunWorkflow) and <c>GET /prompt</c> (queue_remaining), as ComfyUI's server.</summary>
public static class PromptEndpoints
{
    /// <summary>The error type of a prompt refused because Redis did not take its record (503; nothing was sent).</summary>
    public const string RedisUnavailable = "redis_unavailable";

    public static void MapPrompt(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/prompt", PostAsync);
        routes.MapGet("/prompt", async (PromptRelay relay) => ComfyJson.Ok(await relay.QueueInfoAsync()));
    }

    private static async Task<IResult> PostAsync(
        HttpRequest request, PromptValidator validator, UploadedInputResolver uploads, PromptStore prompts, JobSender sender, PromptRelay relay, GatewayMetrics metrics, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var stage = Stopwatch.GetTimestamp();
        var body = await ComfyJson.ReadObjectAsync(request, cancellationToken);
        if (body?["prompt"] is not JsonObject prompt)
        {
            return Error(body is null ? "invalid_prompt" : "no_prompt", body is null ? "Invalid prompt: the body is not a JSON object" : "No prompt provided");
        }

        stage = metrics.Stage(GatewayStages.PostRead, stage);
        var promptJson = prompt.ToJsonString();
        var inputs = await uploads.ResolveAsync(prompt);
        if (validator.Validate(promptJson, inputs.Names) is not { } validation)
        {
            return Error("no_node_catalog", GatewayCatalog.MissingMessage, StatusCodes.Status503ServiceUnavailable);
        }

        if (validation.Error is { } error)
        {
            loggers.CreateLogger(typeof(PromptEndpoints)).LogWarning("Invalid prompt: {Error}", error["error"]?["message"]?.ToString());
            return ComfyJson.Status(error, StatusCodes.Status400BadRequest);
        }

        stage = metrics.Stage(GatewayStages.PostValidate, stage);
        // A given number is kept as is; otherwise the next one is taken with the record (one round trip).
        double? number = body["number"] is JsonValue given && given.TryGetValue<double>(out var n) ? n : null;
        var promptId = body["prompt_id"] is JsonValue id && id.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s : Guid.NewGuid().ToString();
        var extraData = body["extra_data"] as JsonObject ?? [];
        var clientId = body["client_id"]?.ToString();
        if (clientId is not null)
        {
            extraData["client_id"] = clientId;
        }

        // extra_data.webhook: a URL (or {"url": ...}) the worker posts the signed result to.
        JobWebhook? webhook = null;
        if (extraData["webhook"] is { } hook)
        {
            if (WebhookUrl(hook) is not { } url)
            {
                return Error("invalid_webhook", "extra_data.webhook must be an absolute http:// or https:// URL, or {\"url\": ...}");
            }

            webhook = new JobWebhook(url);
        }

        var (delivery, deliveryProblem) = PromptDelivery.Parse(extraData["delivery"], promptId);
        if (delivery is null)
        {
            return Error(PromptDelivery.ErrorType, deliveryProblem!);
        }

        var record = new PromptRecord(number ?? 0, promptId, (JsonObject)prompt.DeepClone(), (JsonObject)extraData.DeepClone(), validation.Outputs, validation.Order, clientId);
        var logger = loggers.CreateLogger(typeof(PromptEndpoints));
        try
        {
            if (number is null)
            {
                number = await prompts.AddNumberedAsync(record, front: ComfyJson.IsTrue(body["front"]));
            }
            else
            {
                await prompts.AddAsync(record);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The record comes first: without it nothing is sent, so no job runs that /history,
            // /queue and the WebSocket would never hear of.
            logger.LogError(e, "Prompt {PromptId} not queued: Redis did not take its record", promptId);
            return Error(RedisUnavailable, $"Prompt not queued: the gateway's Redis did not take it ({e.Message}). Nothing was sent to the workers; submit it again.", StatusCodes.Status503ServiceUnavailable);
        }

        stage = metrics.Stage(GatewayStages.PostRecord, stage);
        await sender.SendAsync(new RunWorkflow(promptId, promptJson, Delivery: delivery,
            InputFiles: inputs.Files.Count > 0 ? inputs.Files : null, ModelSet: validation.ModelSet, Webhook: webhook), cancellationToken);
        stage = metrics.Stage(GatewayStages.PostSend, stage);
        try
        {
            await relay.BroadcastStatusAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The prompt is queued and sent: a missed queue-length broadcast must not make it look refused.
            logger.LogWarning(e, "Prompt {PromptId} queued; the status broadcast failed", promptId);
        }

        metrics.Stage(GatewayStages.PostAnswer, stage);
        return ComfyJson.Ok(new JsonObject { ["prompt_id"] = promptId, ["number"] = number, ["node_errors"] = new JsonObject() });
    }

    private static string? WebhookUrl(JsonNode hook)
    {
        var text = hook switch
        {
            JsonValue value when value.TryGetValue<string>(out var s) => s,
            JsonObject { } o when o["url"] is JsonValue value && value.TryGetValue<string>(out var s) => s,
            _ => null,
        };
        return text is not null && Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Host.Length > 0 ? text : null;
    }

    private static IResult Error(string type, string message, int status = StatusCodes.Status400BadRequest) => ComfyJson.Status(new JsonObject
    {
        ["error"] = new JsonObject { ["type"] = type, ["message"] = message, ["details"] = message, ["extra_info"] = new JsonObject() },
        ["node_errors"] = new JsonObject(),
    }, status);
}
