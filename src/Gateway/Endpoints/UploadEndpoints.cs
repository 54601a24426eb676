using ComfySnap.NodeSdk;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySnap.Gateway.State;
using ComfySnap.Gateway.Uploads;
using ComfySnap.Engine.Validation;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// <c>POST /upload/image</c> and <c>/upload/mask</c>, multipart as ComfyUI's: <c>image</c> (the file),
/// <c>overwrite</c>, <c>subfolder</c>, <c>type</c> (input, temp or output; default input), for the mask also
/// <c>original_ref</c> (<c>{filename, subfolder, type}</c>). Answer <c>{name, subfolder, type}</c>. Files go to
/// Redis (<see cref="UploadStore"/>), not to disk. 413 above Gateway:MaxUploadBytes; 400 for a file that
/// is not PNG, JPEG or WebP, a missing file, or a name or subfolder that escapes its folder.
/// </summary>
public static class UploadEndpoints
{
    private const long FormOverhead = 64 * 1024;

    private static readonly string[] Types = ["input", "temp", "output"];

    public static void MapUploads(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/upload/image", (HttpRequest request, UploadStore uploads, OutputFileStore files, IOptions<GatewayOptions> options, CancellationToken cancellationToken) =>
            UploadAsync(request, uploads, files, options.Value, mask: false, cancellationToken));
        routes.MapPost("/upload/mask", (HttpRequest request, UploadStore uploads, OutputFileStore files, IOptions<GatewayOptions> options, CancellationToken cancellationToken) =>
            UploadAsync(request, uploads, files, options.Value, mask: true, cancellationToken));
    }

    private static async Task<IResult> UploadAsync(HttpRequest request, UploadStore uploads, OutputFileStore files, GatewayOptions options, bool mask, CancellationToken cancellationToken)
    {
        var limit = options.MaxUploadBytes;
        if (request.ContentLength > limit + FormOverhead)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit + FormOverhead;
        }

        if (!request.HasFormContentType)
        {
            return Results.BadRequest();
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limit + FormOverhead }, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        catch (InvalidDataException)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        if (form.Files.GetFile("image") is not { } image || string.IsNullOrEmpty(image.FileName))
        {
            return Results.BadRequest();
        }

        if (image.Length > limit)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var type = form["type"].FirstOrDefault() is { Length: > 0 } t ? t : "input";
        var subfolder = (form["subfolder"].FirstOrDefault() ?? "").Trim('/');
        var filename = image.FileName;
        if (!Types.Contains(type) || !IsPlainName(filename) || (subfolder.Length > 0 && !FileNames.IsInside(subfolder)) || subfolder.Contains('\\', StringComparison.Ordinal))
        {
            return Results.BadRequest();
        }

        var bytes = new byte[image.Length];
        await using (var stream = image.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        if (ImageSniffer.ContentType(bytes) is not { } contentType)
        {
            return Results.BadRequest();
        }

        if (mask)
        {
            if (await ComposeMaskAsync(form["original_ref"].FirstOrDefault(), bytes, files) is not { } composed)
            {
                return Results.BadRequest();
            }

            (bytes, contentType) = (composed, "image/png");
        }

        var overwrite = form["overwrite"].FirstOrDefault() is "true" or "1";
        var name = await uploads.SaveAsync(type, subfolder, filename, bytes, contentType, overwrite);
        return ComfyJson.Ok(new JsonObject { ["name"] = name, ["subfolder"] = subfolder, ["type"] = type });
    }

    /// <summary>The original (found as /view finds it) with the mask's alpha; the mask as sent when no original is stored; null for a bad reference.</summary>
    private static async Task<byte[]?> ComposeMaskAsync(string? originalRef, byte[] mask, OutputFileStore files)
    {
        JsonObject? reference;
        try
        {
            reference = originalRef is null ? null : JsonNode.Parse(originalRef) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }

        var filename = reference?["filename"]?.ToString();
        var subfolder = (reference?["subfolder"]?.ToString() ?? "").Trim('/');
        var type = reference?["type"]?.ToString() is { Length: > 0 } t ? t : "output";
        if (filename is null || !IsPlainName(filename) || (subfolder.Length > 0 && !FileNames.IsInside(subfolder)) || !Types.Contains(type))
        {
            return null;
        }

        return await files.ReadAsync(type, subfolder, filename) is { } original ? MaskComposer.ApplyAlpha(original.Bytes, mask) : mask;
    }

    private static bool IsPlainName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0;
}
