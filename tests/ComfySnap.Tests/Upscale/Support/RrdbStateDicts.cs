using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale.Support;

/// <summary>
/// Builds RRDBNet state dicts with BasicSR / Real-ESRGAN key names and shapes, written out here from the
/// published layout (not from the worker's module), so a naming or shape slip in the worker fails a load.
/// </summary>
public static class RrdbStateDicts
{
    public static Dictionary<string, Tensor> Create(int numFeat, int numBlock, int numGrow, int scale, Func<long[], Tensor> init, int inChannels = 3, int outChannels = 3)
    {
        var fold = scale switch { 1 => 16, 2 => 4, _ => 1 };
        var dict = new Dictionary<string, Tensor>();
        void Conv(string name, long cin, long cout)
        {
            dict[name + ".weight"] = init([cout, cin, 3, 3]);
            dict[name + ".bias"] = init([cout]);
        }

        Conv("conv_first", inChannels * fold, numFeat);
        for (var b = 0; b < numBlock; b++)
        {
            for (var r = 1; r <= 3; r++)
            {
                for (var j = 1; j <= 5; j++)
                {
                    Conv($"body.{b}.rdb{r}.conv{j}", numFeat + ((j - 1) * numGrow), j == 5 ? numFeat : numGrow);
                }
            }
        }

        Conv("conv_body", numFeat, numFeat);
        Conv("conv_up1", numFeat, numFeat);
        Conv("conv_up2", numFeat, numFeat);
        Conv("conv_hr", numFeat, numFeat);
        Conv("conv_last", numFeat, outChannels);
        return dict;
    }

    public static Dictionary<string, Tensor> Zeros(int numFeat, int numBlock, int numGrow, int scale) =>
        Create(numFeat, numBlock, numGrow, scale, shape => zeros(shape));

    /// <summary>Small random weights (seeded), enough to give every output pixel a distinct value.</summary>
    public static Dictionary<string, Tensor> Random(int numFeat, int numBlock, int numGrow, int scale, long seed)
    {
        var generator = new Generator((ulong)seed);
        return Create(numFeat, numBlock, numGrow, scale, shape => randn(shape, generator: generator).mul_(0.05));
    }

    /// <summary>Random weights on the centre tap only: every conv acts per pixel, so tiling cannot change the result.</summary>
    public static Dictionary<string, Tensor> RandomPointwise(int numFeat, int numBlock, int numGrow, long seed)
    {
        var generator = new Generator((ulong)seed);
        return Create(numFeat, numBlock, numGrow, 4, shape =>
        {
            var t = randn(shape, generator: generator).mul_(0.2);
            if (shape.Length == 4)
            {
                var centre = zeros(shape);
                centre[.., .., 1, 1] = t[.., .., 1, 1];
                t = centre;
            }

            return t;
        });
    }

    /// <summary>Sets one tap: weight[outCh, inCh, ky, kx] = value.</summary>
    public static void SetTap(Dictionary<string, Tensor> dict, string conv, long outCh, long inCh, long ky, long kx, float value) =>
        dict[conv + ".weight"][outCh, inCh, ky, kx].fill_(value);

    /// <summary>Makes a conv copy input channel c to output channel c (times <paramref name="gain"/>) for c below <paramref name="channels"/>.</summary>
    public static void SetIdentity(Dictionary<string, Tensor> dict, string conv, long channels, float gain = 1f)
    {
        for (long c = 0; c < channels; c++)
        {
            SetTap(dict, conv, c, c, 1, 1, gain);
        }
    }

    public static void Dispose(Dictionary<string, Tensor> dict)
    {
        foreach (var t in dict.Values)
        {
            t.Dispose();
        }
    }
}
