using System.Security.Cryptography;
using ComfySnap.Engine;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// A tiny workflow run while preparing (to warm the hot paths) and after a restore (to prove the
/// restored engine works before it takes jobs). Its PNG checksum must equal a cold boot's.
/// </summary>
public static class CanaryWorkflow
{
    public const string Json = """
        {
          "1": { "class_type": "EmptyImage", "inputs": { "width": 64, "height": 48, "batch_size": 1, "color": 3381759 } },
          "2": { "class_type": "ImageBlur", "inputs": { "image": ["1", 0], "blur_radius": 2, "sigma": 1.0 } },
          "3": { "class_type": "ImageScale", "inputs": { "image": ["2", 0], "upscale_method": "bilinear", "width": 96, "height": 72, "crop": "disabled" } },
          "4": { "class_type": "ImageInvert", "inputs": { "image": ["3", 0] } },
          "5": { "class_type": "PreviewImage", "inputs": { "images": ["4", 0] } }
        }
        """;

    /// <summary>Runs the canary and returns the sha256 of its PNG.</summary>
    public static async Task<string> RunAsync(WorkflowEngine engine, CancellationToken cancellationToken)
    {
        var report = engine.Validate(Json, out var workflow);
        if (workflow is null)
        {
            throw new InvalidOperationException("canary workflow is invalid: " + report.Describe());
        }

        var result = await engine.RunAsync(workflow, null, cancellationToken).ConfigureAwait(false);
        foreach (var output in result.Outputs.Where(o => o.Artifact.Path is not null))
        {
            File.Delete(output.Artifact.Path!); // no files left open or behind for the snapshot
        }

        return Convert.ToHexStringLower(SHA256.HashData(result.Outputs.Single().Artifact.Bytes.Span));
    }
}
