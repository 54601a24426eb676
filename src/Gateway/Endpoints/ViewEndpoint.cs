using ComfySnap.Gateway.State;
using Microsoft.Net.Http.Headers;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// <c>GET /view?filename=&amp;subfolder=&amp;type=</c>: an output's bytes from Redis (the worker's claim
/// check or the gateway's copy of inline bytes). Path escapes are refused as ComfyUI does: 400 for
/// the filename, 403 for the subfolder; unknown files 404. No preview/channel conversion.
/// </summary>
public static class ViewEndpoint
{
    private static readonly string[] Types = ["output", "input", "temp"];

    public static void MapView(this IEndpointRouteBuilder routes) => routes.MapGet("/view", async (HttpRequest request, HttpResponse response, OutputFileStore files) =>
    {
        var filename = request.Query["filename"].FirstOrDefault();
        if (string.IsNullOrEmpty(filename))
        {
            return Results.NotFound();
        }

        if (filename[0] == '/' || filename.Contains("..", StringComparison.Ordinal) || filename.Contains('\\', StringComparison.Ordinal))
        {
            return Results.BadRequest();
        }

        var type = request.Query["type"].FirstOrDefault() ?? "output";
        if (!Types.Contains(type))
        {
            return Results.BadRequest();
        }

        var subfolder = (request.Query["subfolder"].FirstOrDefault() ?? "").Trim('/');
        if (subfolder.StartsWith('/') || subfolder.Contains('\\', StringComparison.Ordinal) || subfolder.Split('/').Any(part => part is ".." or "."))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (await files.ReadAsync(type, subfolder, Path.GetFileName(filename)) is not { } found)
        {
            return Results.NotFound();
        }

        response.Headers[HeaderNames.ContentDisposition] = $"filename=\"{Path.GetFileName(filename)}\"";
        return Results.Bytes(found.Bytes, found.ContentType);
    });
}
