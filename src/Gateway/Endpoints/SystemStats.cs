using System.Text.Json.Nodes;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>ComfyUI's /system_stats for the gateway's own machine: the workers' devices are not known here, so devices is empty.</summary>
internal static class SystemStats
{
    public static JsonObject Gateway()
    {
        var total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new JsonObject
        {
            ["system"] = new JsonObject
            {
                ["os"] = OperatingSystem.IsWindows() ? "nt" : "posix",
                ["ram_total"] = total,
                ["ram_free"] = MemAvailable() ?? total,
                ["comfyui_version"] = "comfysnap-gateway " + typeof(SystemStats).Assembly.GetName().Version,
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
