using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;

namespace ComfySnap.Nodes.Core;

/// <summary>What SaveImage and PreviewImage share: one PNG per image of the batch, written by the workspace.</summary>
public static class ImageSaver
{
    public static async ValueTask<NodeResult> SaveAsync(NodeInputs inputs, string prefix, bool temporary, int compressLevel, NodeContext context, CancellationToken cancellationToken)
    {
        if (!context.Workspace.IsSafeOutputPrefix(prefix))
        {
            throw new InvalidOperationException($"filename_prefix '{prefix}' leaves the output folder");
        }

        var images = ImageTensors.Input(inputs, "images", context);
        var count = (int)images.shape[0];
        var artifacts = new List<OutputArtifact>(count);
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            byte[] png;
            using (var image = images[i])
            {
                png = PngCodec.Encode(image, compressLevel);
            }

            artifacts.Add(await context.Workspace.SaveOutputAsync(prefix, "png", "image/png", png, temporary, cancellationToken));
            context.ReportProgress(i + 1, count);
        }

        return NodeResult.WithArtifacts(artifacts);
    }
}
