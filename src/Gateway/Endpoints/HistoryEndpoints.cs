using ComfySnap.Gateway.State;

namespace ComfySnap.Gateway.Endpoints;

/// <summary><c>GET /history[?max_items=N]</c>, <c>GET /history/{prompt_id}</c>, <c>POST /history</c> ({clear} or {delete: [ids]}), from Redis.</summary>
public static class HistoryEndpoints
{
    public static void MapHistory(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/history", async (HttpRequest request, HistoryStore history) =>
        {
            int? max = int.TryParse(request.Query["max_items"].FirstOrDefault(), out var m) ? m : null;
            return ComfyJson.Ok(await history.GetAsync(max));
        });
        routes.MapGet("/history/{promptId}", async (string promptId, HistoryStore history) => ComfyJson.Ok(await history.GetOneAsync(promptId)));
        routes.MapPost("/history", async (HttpRequest request, HistoryStore history, CancellationToken cancellationToken) =>
        {
            if (await ComfyJson.ReadObjectAsync(request, cancellationToken) is not { } body)
            {
                return Results.BadRequest();
            }

            if (ComfyJson.IsTrue(body["clear"]))
            {
                await history.ClearAsync();
            }

            await history.DeleteAsync(ComfyJson.Strings(body["delete"]));
            return Results.Ok();
        });
    }
}
