using System.Text.Json.Nodes;
using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Nodes;
using ComfySnap.NodeSdk;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Inputs;

/// <summary>
/// Before validation: every input-folder file input of the workflow whose value is a URI
/// (<c>scheme://...</c>) is read through the <see cref="IInputSource"/> of its scheme, written once to
/// the input folder as <c>.comfysnap-inputs/&lt;sha256&gt;.&lt;ext&gt;</c> and the workflow pointed at
/// that file. Plain file names are left alone.
/// </summary>
public sealed class RemoteInputs(IEnumerable<IInputSource> sources, IWorkspace workspace, NodeRegistry registry, ILogger<RemoteInputs> logger)
{
    private readonly Dictionary<string, IInputSource> _bySchemes = sources
        .SelectMany(s => s.Schemes.Select(scheme => (scheme, s)))
        .ToDictionary(p => p.scheme, p => p.s, StringComparer.OrdinalIgnoreCase);

    /// <summary>The workflow with its URI inputs replaced by local files; unchanged when it has none (or does not parse: validation reports that).</summary>
    public async Task<string> PrepareAsync(string workflowJson, CancellationToken cancellationToken)
    {
        if (!workflowJson.Contains("://", StringComparison.Ordinal))
        {
            return workflowJson;
        }

        JsonObject? nodes;
        try
        {
            nodes = JsonNode.Parse(workflowJson) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return workflowJson;
        }

        var references = nodes is null ? [] : InputFolderReferences.In(nodes, registry).Where(r => IsUri(r.FileName)).ToList();
        if (references.Count == 0)
        {
            return workflowJson;
        }

        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (inputs, input, name) in references)
        {
            if (!stored.TryGetValue(name, out var local))
            {
                local = await FetchAsync(new Uri(name), cancellationToken).ConfigureAwait(false);
                stored[name] = local;
            }

            inputs[input] = local;
        }

        return nodes!.ToJsonString();
    }

    private async Task<string> FetchAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (!_bySchemes.TryGetValue(uri.Scheme, out var source))
        {
            throw new InputFileException($"input '{uri.OriginalString}': this worker reads no '{uri.Scheme}://' inputs (it reads: {string.Join(", ", _bySchemes.Keys.Order().Select(s => s + "://"))})");
        }

        var bytes = await source.ReadAsync(uri, cancellationToken).ConfigureAwait(false);
        var sha = ResultStore.Sha256Hex(bytes);
        var relative = $"{InputFileMaterializer.Folder}/{sha}{Extension(uri.AbsolutePath)}";
        var path = FileNames.Combine(workspace.InputDirectory, relative) ?? throw new InputFileException($"input '{uri.OriginalString}' escapes the input folder");
        if (!File.Exists(path) || new FileInfo(path).Length != bytes.LongLength)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
            await File.WriteAllBytesAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }

        logger.LogInformation("Input {Uri} ({Size} bytes) stored as {Path}", uri.OriginalString, bytes.Length, relative);
        return relative;
    }

    /// <summary>A scheme of letters, digits, '+', '-', '.' before "://": a URI, never a file of the input folder.</summary>
    private static bool IsUri(string value)
    {
        var at = value.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && char.IsAsciiLetter(value[0]) && value[..at].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.')
            && Uri.TryCreate(value, UriKind.Absolute, out _);
    }

    private static string Extension(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension.Length is > 1 and <= 8 && extension[1..].All(char.IsAsciiLetterOrDigit) ? extension : "";
    }
}
