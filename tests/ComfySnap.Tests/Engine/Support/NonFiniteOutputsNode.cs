using ComfySnap.NodeSdk;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Engine.Support;

/// <summary>
/// A test node returning a 1x8x8 IMAGE, MASK and LATENT of 0.5, with "value" (nan, inf, -inf or
/// finite) written into one pixel of the output numbered "output"; with "save" it also writes a file
/// to the output folder, as an output node does. Idempotent: its outputs would be cached.
/// </summary>
public sealed class NonFiniteOutputsNode : ComfyNode
{
    public const string Name = "TestNonFiniteOutputs";

    private int _runs;

    public int Runs => _runs;

    public override string ClassType => Name;

    public override string Category => "testing";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Int("output", 0, 0, 2),
        InputSpec.Choice("value", ["nan", "inf", "-inf", "finite"], "nan"),
        InputSpec.Boolean("save", false),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image, ComfyTypes.Mask, ComfyTypes.Latent];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runs);
        var outputs = new[] { full(1, 8, 8, 3, 0.5f), full(1, 8, 8, 0.5f), full(1, 4, 8, 8, 0.5f) };
        var value = inputs.String("value") switch { "nan" => float.NaN, "inf" => float.PositiveInfinity, "-inf" => float.NegativeInfinity, _ => 0.25f };
        outputs[inputs.Int("output")].view(-1)[5].fill_(value);
        var artifacts = inputs.Boolean("save")
            ? [await context.Workspace.SaveOutputAsync("nan-node", "bin", "application/octet-stream", new byte[] { 1, 2, 3 }, temporary: false, cancellationToken)]
            : Array.Empty<OutputArtifact>();
        return NodeResult.WithArtifacts(artifacts, outputs[0], outputs[1], new Latent(outputs[2]));
    }
}
