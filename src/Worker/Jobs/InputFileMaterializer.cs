using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ComfySnap.Contracts;
using ComfySnap.NodeSdk;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Inputs;
using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Nodes;
using ComfySnap.Engine.Validation;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Jobs;

/// <summary>A job input file that cannot be used (missing, expired, wrong hash or size, bad name).</summary>
public sealed class InputFileException(string message) : Exception(message);

/// <summary>
/// Makes a job's <see cref="RunWorkflow.InputFiles"/> and the URLs its input-folder file inputs name
/// (<see cref="InputUrls"/>) available before validation: fetches each (inline bytes or its Redis key;
/// a URL through its <see cref="UrlInputSources"/> source), checks it, writes it once into the input folder under
/// <see cref="Folder"/>/&lt;sha256&gt;.&lt;ext&gt; (never outside it) and points the workflow's input-folder file
/// inputs that name it at that file. The content-addressed name puts the hash into the output cache key.
/// </summary>
public sealed partial class InputFileMaterializer(IWorkspace workspace, IOutputCache cache, NodeRegistry registry, UrlInputSources urls, ILogger<InputFileMaterializer> logger)
{
    /// <summary>The input subfolder of materialised job files.</summary>
    public const string Folder = ".comfysnap-inputs";

    /// <summary>The workflow to validate and run: <paramref name="job"/>'s, with its input files and URL inputs in place.</summary>
    public async Task<string> PrepareAsync(RunWorkflow job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var hasFiles = job.InputFiles is { Count: > 0 };
        if (job.Workflow is null || (!hasFiles && !job.Workflow.Contains("://", StringComparison.Ordinal)))
        {
            return job.Workflow ?? "";
        }

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in job.InputFiles ?? [])
        {
            names[file.Name] = await MaterializeAsync(file, cancellationToken).ConfigureAwait(false);
        }

        // A workflow that does not parse is left as it is: validation reports it.
        if (ParseNodes(job.Workflow) is not { } nodes)
        {
            return job.Workflow;
        }

        foreach (var (_, _, name) in InputFolderReferences.In(nodes, registry).ToList())
        {
            if (!names.ContainsKey(name) && InputUrls.TryParse(name, out var url))
            {
                var fetched = await urls.FetchAsync(url, cancellationToken).ConfigureAwait(false);
                names[name] = await StoreAsync(fetched.Bytes, ResultStore.Sha256Hex(fetched.Bytes), fetched.Extension, cancellationToken).ConfigureAwait(false);
            }
        }

        return names.Count == 0 ? job.Workflow : Rewrite(nodes, names);
    }

    private async Task<string> MaterializeAsync(JobInputFile file, CancellationToken cancellationToken)
    {
        if (!FileNames.IsInside(file.Name ?? ""))
        {
            throw new InputFileException($"input file name '{file.Name}' escapes the input folder");
        }

        var sha = file.Sha256?.ToLowerInvariant() ?? "";
        if (!Sha256Hex().IsMatch(sha))
        {
            throw new InputFileException($"input file '{file.Name}': sha256 must be 64 hex digits");
        }

        var relative = Relative(sha, Extension(file.Name!));
        var path = FileNames.Combine(workspace.InputDirectory, relative) ?? throw new InputFileException($"input file '{file.Name}' escapes the input folder");
        if (File.Exists(path) && new FileInfo(path).Length == file.Size)
        {
            return relative;
        }

        var bytes = file.InlineBytes;
        if (bytes is null && !string.IsNullOrEmpty(file.RedisKey))
        {
            bytes = await cache.GetAsync(file.RedisKey, cancellationToken).ConfigureAwait(false);
        }

        if (bytes is null)
        {
            throw new InputFileException($"input file '{file.Name}' is not available (no inline bytes; Redis key '{file.RedisKey}' missing, expired or the cache is down)");
        }

        if (bytes.LongLength != file.Size || ResultStore.Sha256Hex(bytes) != sha)
        {
            throw new InputFileException($"input file '{file.Name}' does not match its size {file.Size} and sha256 {sha}");
        }

        await StoreAsync(bytes, sha, Extension(file.Name!), cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Input file {Name} ({Size} bytes) stored as {Path}", file.Name, file.Size, relative);
        return relative;
    }

    private static string Relative(string sha, string extension) => $"{Folder}/{sha}{extension}";

    /// <summary>Writes the bytes once under their content-addressed name (temp file + rename); the name relative to the input folder.</summary>
    private async Task<string> StoreAsync(byte[] bytes, string sha, string extension, CancellationToken cancellationToken)
    {
        var relative = Relative(sha, extension);
        var path = FileNames.Combine(workspace.InputDirectory, relative)!;
        if (File.Exists(path) && new FileInfo(path).Length == bytes.LongLength)
        {
            return relative;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
        return relative;
    }

    private static JsonObject? ParseNodes(string workflowJson)
    {
        try
        {
            return JsonNode.Parse(workflowJson) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private string Rewrite(JsonObject nodes, Dictionary<string, string> names)
    {
        foreach (var (inputs, input, name) in InputFolderReferences.In(nodes, registry).ToList())
        {
            if (names.TryGetValue(name, out var stored))
            {
                inputs[input] = stored;
            }
        }

        return nodes.ToJsonString();
    }

    private static string Extension(string name)
    {
        var extension = Path.GetExtension(name).ToLowerInvariant();
        return extension.Length is > 1 and <= 8 && extension[1..].All(char.IsAsciiLetterOrDigit) ? extension : "";
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();
}
