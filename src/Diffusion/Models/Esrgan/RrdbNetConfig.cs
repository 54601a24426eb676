using System.Globalization;
using System.Text.RegularExpressions;

namespace ComfySnap.Diffusion.Models.Esrgan;

/// <summary>
/// RRDBNet hyperparameters, read off a BasicSR / Real-ESRGAN state dict's keys and shapes
/// (e.g. RealESRGAN_x4plus: 3 in, 3 out, 64 features, 23 blocks, growth 32, scale 4).
/// </summary>
public sealed partial record RrdbNetConfig(int InChannels, int OutChannels, int NumFeat, int NumBlock, int NumGrowCh, int Scale)
{
    private const string What = "not an RRDBNet (ESRGAN) state dict";

    /// <summary>Scales 1 and 2 fold the input into 16 or 4 times the channels (pixel_unshuffle) before conv_first.</summary>
    public int UnshuffleFactor => Scale switch { 1 => 4, 2 => 2, _ => 1 };

    /// <summary>Height and width must be multiples of this for pixel_unshuffle.</summary>
    public int SizeMultiple => UnshuffleFactor;

    public static RrdbNetConfig Infer(StateDict stateDict)
    {
        if (stateDict.Contains("model.0.weight"))
        {
            throw new InvalidDataException($"{What}: it uses the original ESRGAN key layout ('model.0.weight', 'model.1.sub...'), which is not supported; only BasicSR / Real-ESRGAN keys (conv_first, body.N.rdbK.convJ, ...) are");
        }

        var convFirst = stateDict.Require("conv_first.weight", What);
        var convLast = stateDict.Require("conv_last.weight", What);
        var grow = stateDict.Require("body.0.rdb1.conv1.weight", What);
        foreach (var key in new[] { "conv_body.weight", "conv_up1.weight", "conv_up2.weight", "conv_hr.weight" })
        {
            stateDict.Require(key, What);
        }

        var numFeat = (int)convFirst.shape[0];
        var foldedIn = (int)convFirst.shape[1];
        var outChannels = (int)convLast.shape[0];
        var numGrow = (int)grow.shape[0];
        var numBlock = stateDict.Tensors.Keys
            .Select(k => BodyIndex().Match(k))
            .Where(m => m.Success)
            .Max(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)) + 1;

        // Real-ESRGAN x1/x2 models take pixel_unshuffle(image) and still upsample x4 inside.
        var (inChannels, scale) = foldedIn == outChannels * 16 ? (outChannels, 1)
            : foldedIn == outChannels * 4 ? (outChannels, 2)
            : (foldedIn, 4);

        return new RrdbNetConfig(inChannels, outChannels, numFeat, numBlock, numGrow, scale);
    }

    [GeneratedRegex(@"^body\.(\d+)\.")]
    private static partial Regex BodyIndex();
}
