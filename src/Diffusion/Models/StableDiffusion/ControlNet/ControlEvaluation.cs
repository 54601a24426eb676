using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// Runs a chain of ControlNets for one model call, as ComfyUI's ControlNet.get_control and
/// control_merge do (comfy/controlnet.py): the earlier ControlNets first; one outside its step
/// window passes the earlier residuals on unchanged; otherwise it sees the UNet's own input
/// (x scaled for sigma, the timestep, the same context) and the control image, its residuals
/// (averaged over the image for *_shuffle files) are multiplied by the strength and the earlier
/// ones are added.
/// </summary>
public static class ControlEvaluation
{
    /// <summary>The residuals for <paramref name="x"/> at <paramref name="sigma"/> (both [N*B,...] for <paramref name="batchedNumber"/> conditionings) with the UNet's context and adm vector y (SDXL), or null when no ControlNet of the chain is active.</summary>
    public static ControlResiduals? Evaluate(ControlApplication control, ModelSamplingDiscrete sampling, Tensor x, Tensor sigma, Tensor context, Tensor? y, int batchedNumber)
    {
        var previous = control.Previous is null ? null : Evaluate(control.Previous, sampling, x, sigma, context, y, batchedNumber);
        if (!IsActive(control, sampling, sigma[0].item<float>()))
        {
            return previous;
        }

        using (previous)
        {
            using var scope = NewDisposeScope();
            using var hint = ControlHint.Prepare(control.Image, x, batchedNumber);
            var input = ModelSamplingDiscrete.CalculateInput(sigma, x);
            using var own = control.Net.Model.Forward(input, hint, sampling.Timestep(sigma), context, y);
            var skips = own.Skips.Select((s, i) => Merge(s, previous?.Skips[i], control).MoveToOuterDisposeScope()).ToList();
            var middle = Merge(own.Middle, previous?.Middle, control).MoveToOuterDisposeScope();
            return new ControlResiduals(skips, middle);
        }
    }

    /// <summary>
    /// pre_run's timestep_range: the window's percents as sigmas (percent_to_sigma); the ControlNet
    /// is skipped while sigma is above the start's or below the end's (float32 comparisons).
    /// </summary>
    public static bool IsActive(ControlApplication control, ModelSamplingDiscrete sampling, float sigma) =>
        !(sigma > PercentToSigma(sampling, control.StartPercent) || sigma < PercentToSigma(sampling, control.EndPercent));

    /// <summary>ModelSamplingDiscrete.percent_to_sigma: 0 or less is "always" (1e9), 1 or more is 0, else sigma at timestep (1 - p) * 999.</summary>
    public static float PercentToSigma(ModelSamplingDiscrete sampling, double percent)
    {
        if (percent <= 0.0)
        {
            return 999999999.9f;
        }

        if (percent >= 1.0)
        {
            return 0.0f;
        }

        using var timestep = tensor((float)((1.0 - percent) * 999.0));
        using var sigma = sampling.Sigma(timestep);
        return sigma.item<float>();
    }

    private static Tensor Merge(Tensor residual, Tensor? previous, ControlApplication control)
    {
        var x = control.Net.GlobalAveragePooling
            ? residual.mean([2, 3], keepdim: true).expand(residual.shape)
            : residual;
        x = x.mul(control.Strength);
        return previous is null ? x : previous.add(x);
    }
}
