using System.Text.Json.Nodes;
using ComfySnap.Gateway.Catalog;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// <c>/object_info</c>, <c>/object_info/{class}</c>, <c>/models</c>, <c>/models/{folder}</c> from the
/// catalog the workers published (503 until there is one); <c>/embeddings</c>, <c>/features</c>, <c>/system_stats</c>.
/// </summary>
public static class CatalogEndpoints
{
    public static void MapCatalog(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/object_info", (GatewayCatalog catalog) =>
            catalog.Current is { } c ? Results.Text(c.ObjectInfoJson, "application/json") : NoCatalog());
        routes.MapGet("/object_info/{nodeClass}", (string nodeClass, GatewayCatalog catalog) =>
            catalog.Current is { } c ? Results.Text(c.ObjectInfoOf(nodeClass) ?? "{}", "application/json") : NoCatalog());
        routes.MapGet("/models", (GatewayCatalog catalog) =>
            catalog.Current is { } c ? ComfyJson.Ok(Strings(c.ModelKinds)) : NoCatalog());
        routes.MapGet("/models/{folder}", (string folder, GatewayCatalog catalog) => catalog.Current switch
        {
            null => NoCatalog(),
            var c when c.ModelKinds.Contains(folder) => ComfyJson.Ok(Strings(c.Models(folder))),
            _ => Results.NotFound(),
        });
        // The workers have no textual-inversion embeddings.
        routes.MapGet("/embeddings", () => ComfyJson.Ok(new JsonArray()));
        routes.MapGet("/features", () => ComfyJson.Ok(new JsonObject { ["supports_preview_metadata"] = false }));
        routes.MapGet("/system_stats", () => ComfyJson.Ok(SystemStats.Gateway()));
    }

    private static IResult NoCatalog() =>
        ComfyJson.Status(new JsonObject { ["error"] = GatewayCatalog.MissingMessage }, StatusCodes.Status503ServiceUnavailable);

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
