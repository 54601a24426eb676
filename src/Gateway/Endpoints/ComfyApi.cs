namespace ComfySnap.Gateway.Endpoints;

/// <summary>Every ComfyUI route, at its path and (as ComfyUI serves them too) under /api; the health probes at the root.</summary>
public static class ComfyApi
{
    public static void MapComfyApi(this IEndpointRouteBuilder app)
    {
        app.MapHealth();
        foreach (var prefix in new[] { "", "/api" })
        {
            var routes = app.MapGroup(prefix);
            routes.MapPrompt();
            routes.MapQueue();
            routes.MapHistory();
            routes.MapView();
            routes.MapUploads();
            routes.MapCatalog();
            routes.MapComfyWebSocket();
        }
    }
}
