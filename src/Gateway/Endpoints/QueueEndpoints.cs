using System.Text.Json.Nodes;
using ComfySnap.Gateway.Bus;
using ComfySnap.Gateway.Relay;
using ComfySnap.Gateway.State;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// <c>GET|POST /queue</c> and <c>POST /interrupt</c>. The queue is what gateways submitted and no
/// result has come back for yet; running = a worker accepted it. Deleting a pending prompt cancels
/// it on the bus (a worker fails it on arrival, unseen); an interrupt cancels running prompts.
/// </summary>
public static class QueueEndpoints
{
    public static void MapQueue(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/queue", async (PromptStore prompts) =>
        {
            var (running, pending) = await prompts.QueueAsync();
            return ComfyJson.Ok(new JsonObject
            {
                ["queue_running"] = new JsonArray([.. running.Select(r => (JsonNode)r.ToQueueItem())]),
                ["queue_pending"] = new JsonArray([.. pending.Select(r => (JsonNode)r.ToQueueItem())]),
            });
        });
        routes.MapPost("/queue", PostQueueAsync);
        routes.MapPost("/interrupt", InterruptAsync);
    }

    private static async Task<IResult> PostQueueAsync(HttpRequest request, PromptStore prompts, JobSender sender, PromptRelay relay, CancellationToken cancellationToken)
    {
        if (await ComfyJson.ReadObjectAsync(request, cancellationToken) is not { } body)
        {
            return Results.BadRequest();
        }

        var (_, pending) = await prompts.QueueAsync();
        var targets = ComfyJson.IsTrue(body["clear"])
            ? pending.Select(p => p.PromptId).ToList()
            : ComfyJson.Strings(body["delete"]).Where(id => pending.Any(p => p.PromptId == id)).ToList();
        foreach (var id in targets)
        {
            await prompts.DeleteAsync(id);
            await sender.CancelAsync(id, cancellationToken);
        }

        await relay.BroadcastStatusAsync();
        return Results.Ok();
    }

    /// <summary>Body (optional): <c>{"prompt_id": ...}</c> for one prompt, or <c>{"client_id": ...}</c> (or ?clientId=) for that client's running prompts; neither: every running prompt, as ComfyUI's global interrupt.</summary>
    private static async Task<IResult> InterruptAsync(HttpRequest request, PromptStore prompts, JobSender sender, CancellationToken cancellationToken)
    {
        var body = await ComfyJson.ReadObjectAsync(request, cancellationToken) ?? [];
        IEnumerable<string> targets;
        if (body["prompt_id"]?.ToString() is { Length: > 0 } promptId)
        {
            targets = [promptId];
        }
        else
        {
            var (running, _) = await prompts.QueueAsync();
            var clientId = body["client_id"]?.ToString() ?? request.Query["clientId"].FirstOrDefault();
            targets = running.Where(r => clientId is null || r.ClientId == clientId).Select(r => r.PromptId);
        }

        foreach (var id in targets)
        {
            await sender.CancelAsync(id, cancellationToken);
        }

        return Results.Ok();
    }
}
