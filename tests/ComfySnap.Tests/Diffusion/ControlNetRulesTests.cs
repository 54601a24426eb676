using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Sampling;
using ComfySnap.NodeSdk;
using ComfySnap.Nodes.Conditioning;
using ComfySnap.Nodes.Loaders;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>ComfyUI's ControlNet rules one by one: node declarations, the step window, hint resize and batch broadcast, the uncond rule, tensor ownership.</summary>
public sealed class ControlNetRulesTests
{
    [Fact]
    public void Nodes_declare_comfyuis_inputs_in_order()
    {
        static IEnumerable<(string, string, bool, object?, double?, double?, double?)> Spec(ComfyNode node) =>
            node.Inputs.Select(i => (i.Name, i.Type, i.Required, i.Default, i.Min, i.Max, i.Step));

        Assert.Equal([("control_net_name", ComfyTypes.Combo, true, null, null, null, null)], Spec(new ControlNetLoader()));
        Assert.Equal(ModelKindsControlNet, new ControlNetLoader().Inputs[0].ModelKind);
        Assert.Equal([ComfyTypes.ControlNet], new ControlNetLoader().Outputs);
        Assert.Equal(
        [
            ("conditioning", "CONDITIONING", true, null, null, null, null),
            ("control_net", "CONTROL_NET", true, null, null, null, null),
            ("image", "IMAGE", true, null, null, null, null),
            ("strength", "FLOAT", true, 1.0, 0.0, 10.0, 0.01),
        ], Spec(new ControlNetApply()));
        Assert.Equal(
        [
            ("positive", "CONDITIONING", true, null, null, null, null),
            ("negative", "CONDITIONING", true, null, null, null, null),
            ("control_net", "CONTROL_NET", true, null, null, null, null),
            ("image", "IMAGE", true, null, null, null, null),
            ("strength", "FLOAT", true, 1.0, 0.0, 10.0, 0.01),
            ("start_percent", "FLOAT", true, 0.0, 0.0, 1.0, 0.001),
            ("end_percent", "FLOAT", true, 1.0, 0.0, 1.0, 0.001),
            ("vae", "VAE", false, null, null, null, null),
        ], Spec(new ControlNetApplyAdvanced()));
        Assert.Equal(["CONDITIONING", "CONDITIONING"], new ControlNetApplyAdvanced().Outputs);
    }

    [Fact]
    public void Percent_to_sigma_and_the_window_follow_model_sampling()
    {
        var sampling = ModelSamplingDiscrete.Sd1;
        Assert.Equal(999999999.9f, ControlEvaluation.PercentToSigma(sampling, 0.0));
        Assert.Equal(0f, ControlEvaluation.PercentToSigma(sampling, 1.0));
        using var t = tensor(0.8f * 999f);
        using var expected = sampling.Sigma(t);
        Assert.Equal(expected.item<float>(), ControlEvaluation.PercentToSigma(sampling, 0.2));

        var window = new ControlApplication(null!, null!, 1.0, 0.2, 0.9, null);
        var start = ControlEvaluation.PercentToSigma(sampling, 0.2);
        var end = ControlEvaluation.PercentToSigma(sampling, 0.9);
        Assert.True(start > end);
        Assert.False(ControlEvaluation.IsActive(window, sampling, sampling.SigmaMax));
        Assert.True(ControlEvaluation.IsActive(window, sampling, start));
        Assert.True(ControlEvaluation.IsActive(window, sampling, end));
        Assert.False(ControlEvaluation.IsActive(window, sampling, end * 0.99f));
        Assert.True(ControlEvaluation.IsActive(window with { StartPercent = 0, EndPercent = 1 }, sampling, 0f));
    }

    [Theory]
    [InlineData(1, 4, 2, new[] { 0 })]                        // one image serves every batch item as it is
    [InlineData(2, 4, 2, new[] { 0, 1, 0, 1 })]               // per conditioning: the latent batch's images
    [InlineData(3, 2, 2, new[] { 0, 0 })]                     // cut to the latent batch (1)
    [InlineData(2, 6, 2, new[] { 0, 1, 0, 0, 1, 0 })]         // cycled to the latent batch (3)
    public void Broadcast_cuts_or_cycles_the_images_per_conditioning(int images, int target, int batched, int[] expected)
    {
        using var scope = NewDisposeScope();
        var hint = arange(images, ScalarType.Float32).view(images, 1, 1, 1);
        var result = ControlHint.BroadcastTo(hint, target, batched);
        Assert.Equal(expected, result.flatten().data<float>().Select(v => (int)v));
    }

    [Fact]
    public void The_control_image_is_center_cropped_to_the_latents_aspect_then_resized_to_8x()
    {
        using var scope = NewDisposeScope();
        // 100x60, the outer 10 columns on each side red, the rest green: a 64x48 target (aspect 4:3) crops 10 off each side.
        var image = zeros(1, 60, 100, 3);
        image.narrow(2, 0, 10).select(3, 0).fill_(1);
        image.narrow(2, 90, 10).select(3, 0).fill_(1);
        image.narrow(2, 10, 80).select(3, 1).fill_(1);
        var latent = zeros(2, 4, 6, 8);

        var hint = ControlHint.Prepare(image, latent, batchedNumber: 2);

        Assert.Equal([1L, 3, 48, 64], hint.shape);
        Assert.Equal(0f, hint.select(1, 0).max().item<float>());
        Assert.Equal(1f, hint.select(1, 1).min().item<float>());
    }

    [Fact]
    public void ControlNetApply_puts_its_controlnet_on_a_negative_without_one()
    {
        using var scope = NewDisposeScope();
        var a = new ControlApplication(null!, zeros(1, 8, 8, 3), 1, 0, 1, null);
        var b = new ControlApplication(null!, zeros(1, 8, 8, 3), 1, 0, 1, null);
        ConditioningEntry Entry(ControlApplication? c = null, bool toUncond = false) => new(zeros(1, 77, 8)) { Control = c, ControlAppliesToUncond = toUncond };

        var filled = UncondControl.Fill(new Conditioning([Entry(a, true), Entry(b, true)]), new Conditioning([Entry()]));
        Assert.Same(b, Assert.Single(filled.Entries).Control); // a later one replaces an earlier one

        var two = UncondControl.Fill(new Conditioning([Entry(a, true)]), new Conditioning([Entry(), Entry()]));
        Assert.Equal([a.Id, (Guid?)null], two.Entries.Select(e => e.Control?.Id));

        var negativeWithControl = new Conditioning([Entry(b)]);
        Assert.Same(negativeWithControl, UncondControl.Fill(new Conditioning([Entry(a, true)]), negativeWithControl));
        var unmarked = new Conditioning([Entry()]);
        Assert.Same(unmarked, UncondControl.Fill(new Conditioning([Entry(a)]), unmarked));
    }

    [Fact]
    public void Conditioning_lists_a_shared_control_image_once_and_keeps_it_shared_when_mapped()
    {
        using var scope = NewDisposeScope();
        var image = zeros(1, 8, 8, 3);
        var first = new ControlApplication(null!, image, 1, 0, 1, null);
        var second = new ControlApplication(null!, image, 0.5, 0, 1, first);
        var conditioning = new Conditioning([new ConditioningEntry(zeros(1, 77, 8)) { Control = second }, new ConditioningEntry(zeros(1, 77, 8)) { Control = second }]);

        Assert.Equal(3, conditioning.Tensors.Count());
        var mapped = (Conditioning)conditioning.MapTensors(t => t.alias());

        Assert.Same(mapped.Entries[0].Control, mapped.Entries[1].Control);
        Assert.Equal(second.Id, mapped.Entries[0].Control!.Id);
        Assert.Equal(first.Id, mapped.Entries[0].Control!.Previous!.Id);
        Assert.Same(mapped.Entries[0].Control!.Image, mapped.Entries[0].Control!.Previous!.Image);
        Assert.NotSame(image, mapped.Entries[0].Control!.Image);
    }

    private const string ModelKindsControlNet = "controlnet";
}
