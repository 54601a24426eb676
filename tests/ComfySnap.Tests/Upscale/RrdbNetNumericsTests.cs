using ComfySnap.Tests.Upscale.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.Esrgan;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale;

/// <summary>
/// Hand-built weights that make the network compute something small enough to write down, checked
/// against scalar C# arithmetic (no torch on the expected side).
/// </summary>
public sealed class RrdbNetNumericsTests
{
    private const int Nf = 8;
    private const int Grow = 4;

    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    [InlineData(1)]
    public void Zero_weights_but_the_last_bias_give_that_bias_everywhere(int scale)
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(Nf, 1, Grow, scale);
        dict["conv_last.bias"] = tensor(new[] { 0.25f, -0.5f, 0.75f });

        var output = Run(dict, rand(2, 3, 8, 12));

        Assert.Equal(new long[] { 2, 3, 8 * scale, 12 * scale }, output.shape);
        var values = output.data<float>().ToArray();
        var perChannel = 8 * scale * 12 * scale;
        for (var i = 0; i < values.Length; i++)
        {
            var channel = i / perChannel % 3;
            Assert.Equal(new[] { 0.25f, -0.5f, 0.75f }[channel], values[i]);
        }
    }

    [Fact]
    public void Residual_path_alone_is_a_nearest_x4_upsample_through_the_leaky_relus_and_a_shifting_last_conv()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(Nf, 1, Grow, 4);
        RrdbStateDicts.SetIdentity(dict, "conv_first", 3);
        RrdbStateDicts.SetIdentity(dict, "conv_up1", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_up2", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_hr", Nf);
        for (var c = 0; c < 3; c++)
        {
            // Tap (1,0) reads the pixel to the left: out(i,j) = in(i,j-1), zero padding at j=0.
            RrdbStateDicts.SetTap(dict, "conv_last", c, c, 1, 0, 1f);
        }

        dict["conv_last.bias"] = full(3, 0.1f);
        var input = rand(1, 3, 5, 6).mul_(2).sub_(1);

        var output = Run(dict, input);

        var x = input.data<float>().ToArray();
        AssertEachPixel(output, 5 * 4, 6 * 4, (c, i, j) =>
            j == 0 ? 0.1f : Leaky(Leaky(Leaky(x[Index(c, i / 4, (j - 1) / 4, 5, 6)]))) + 0.1f);
    }

    [Fact]
    public void Body_path_applies_the_dense_block_and_both_residual_scalings()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(Nf, 2, Grow, 4);
        RrdbStateDicts.SetIdentity(dict, "conv_first", 3);
        // Block 0, rdb1: conv1 doubles x; conv5 reads x1 (channels Nf.. of cat[x, x1, ..]) back into channel c.
        RrdbStateDicts.SetIdentity(dict, "body.0.rdb1.conv1", 3, gain: 2f);
        for (var c = 0; c < 3; c++)
        {
            RrdbStateDicts.SetTap(dict, "body.0.rdb1.conv5", c, Nf + c, 1, 1, 1f);
        }

        RrdbStateDicts.SetIdentity(dict, "conv_body", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_up1", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_up2", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_hr", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_last", 3);
        var input = rand(1, 3, 4, 3).mul_(2).sub_(1);

        var output = Run(dict, input);

        var x = input.data<float>().ToArray();
        AssertEachPixel(output, 16, 12, (c, i, j) =>
        {
            var v = x[Index(c, i / 4, j / 4, 4, 3)];
            var rdb1 = (0.2f * Leaky(2 * v)) + v;   // rdb2 and rdb3 are identities (conv5 = 0)
            var block0 = (0.2f * rdb1) + v;
            var block1 = 1.2f * block0;             // all-zero block: 0.2 * t + t
            return Leaky(Leaky(Leaky(v + block1))); // conv_body = identity, then feat + body
        });
    }

    [Fact]
    public void Scale_two_models_fold_2x2_pixels_into_channels_before_conv_first()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(Nf, 1, Grow, 2);
        for (var c = 0; c < 3; c++)
        {
            // pixel_unshuffle puts pixel (2i+dy, 2j+dx) of channel c in channel c*4 + dy*2 + dx: take (1,1).
            RrdbStateDicts.SetTap(dict, "conv_first", c, (c * 4) + 3, 1, 1, 1f);
        }

        RrdbStateDicts.SetIdentity(dict, "conv_up1", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_up2", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_hr", Nf);
        RrdbStateDicts.SetIdentity(dict, "conv_last", 3);
        var input = rand(1, 3, 4, 6);

        var output = Run(dict, input);

        var x = input.data<float>().ToArray();
        AssertEachPixel(output, 8, 12, (c, i, j) => x[Index(c, (2 * (i / 4)) + 1, (2 * (j / 4)) + 1, 4, 6)]);
    }

    [Fact]
    public void Scale_two_input_with_odd_size_is_padded_and_cropped_back()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Random(Nf, 1, Grow, 2, seed: 5);

        var output = Run(dict, rand(1, 3, 7, 9));

        Assert.Equal(new long[] { 1, 3, 14, 18 }, output.shape);
    }

    private static float Leaky(float v) => v >= 0 ? v : 0.2f * v;

    private static int Index(int c, int i, int j, int height, int width) => (((c * height) + i) * width) + j;

    private static Tensor Run(Dictionary<string, Tensor> dict, Tensor input)
    {
        using var stateDict = new StateDict(dict);
        using var model = EsrganLoader.FromStateDict(stateDict);
        using var noGrad = no_grad();
        return model.Run(input);
    }

    private static void AssertEachPixel(Tensor output, int height, int width, Func<int, int, int, float> expected)
    {
        Assert.Equal(new long[] { 1, 3, height, width }, output.shape);
        var actual = output.data<float>().ToArray();
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < height; i++)
            {
                for (var j = 0; j < width; j++)
                {
                    var want = expected(c, i, j);
                    var got = actual[Index(c, i, j, height, width)];
                    Assert.True(Math.Abs(want - got) <= 1e-5f, $"pixel (c={c}, y={i}, x={j}): expected {want}, got {got}");
                }
            }
        }
    }
}
