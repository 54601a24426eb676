using System.Text.Json.Nodes;
using ComfySnap.Gateway.Catalog;
using ComfySnap.NodeSdk;

namespace ComfySnap.Gateway.Endpoints;

/// <summary><c>/object_info</c>, <c>/object_info/{class}</c>, <c>/models</c>, <c>/models/{folder}</c>, <c>/embeddings</c>, <c>/features</c>, <c>/system_stats</c>.</summary>
public static class CatalogEndpoints
{
    public static void MapCatalog(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/object_info", (ObjectInfoBuilder info) => ComfyJson.Ok(info.All()));
        routes.MapGet("/object_info/{nodeClass}", (string nodeClass, ObjectInfoBuilder info) => ComfyJson.Ok(info.One(nodeClass)));
        routes.MapGet("/models", (IModelStore models) => ComfyJson.Ok(Strings(models.Kinds)));
        routes.MapGet("/models/{folder}", (string folder, IModelStore models) =>
            models.Kinds.Contains(folder) ? ComfyJson.Ok(Strings(models.List(folder))) : Results.NotFound());
        // The workers have no textual-inversion embeddings.
        routes.MapGet("/embeddings", () => ComfyJson.Ok(new JsonArray()));
        routes.MapGet("/features", () => ComfyJson.Ok(new JsonObject { ["supports_preview_metadata"] = false }));
        routes.MapGet("/system_stats", () => ComfyJson.Ok(SystemStats()));
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    // The gateway's own machine: the workers' devices are not known here, so devices is empty.
    private static JsonObject SystemStats()
    {
        var total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new JsonObject
        {
            ["system"] = new JsonObject
            {
                ["os"] = OperatingSystem.IsWindows() ? "nt" : "posix",
                ["ram_total"] = total,
                ["ram_free"] = MemAvailable() ?? total,
                ["comfyui_version"] = "comfysnap-gateway " + typeof(CatalogEndpoints).Assembly.GetName().Version,
                ["python_version"] = "",
                ["pytorch_version"] = "",
                ["embedded_python"] = false,
                ["argv"] = new JsonArray(),
            },
            ["devices"] = new JsonArray(),
        };
    }

    private static long? MemAvailable()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
