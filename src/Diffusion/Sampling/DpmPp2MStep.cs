using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// dpmpp_2m (DPM-Solver++(2M)): exponential-integrator steps in t = -log sigma, second order from the
/// previous step's denoised prediction (first order on the first step and the step to sigma 0).
/// </summary>
internal sealed class DpmPp2MStep(StepInputs inputs) : SamplerStep(inputs)
{
    // The previous step's prediction; lives in the run's dispose scope, replaced (and freed) each step.
    private Tensor? oldDenoised;

    public override Tensor Step(Tensor x, int i)
    {
        var sigma = Inputs.Sigma(i);
        var sigmaNext = Inputs.Sigma(i + 1);
        var denoised = Inputs.Denoise(x, sigma);
        var t = TOf(sigma);
        var tNext = TOf(sigmaNext);
        var h = tNext - t;
        var decay = SigmaOf(tNext) / SigmaOf(t);
        var blend = h.neg().expm1();

        Tensor next;
        if (oldDenoised is null || sigmaNext.item<float>() == 0f)
        {
            next = (decay * x) - (blend * denoised);
        }
        else
        {
            var hLast = t - TOf(Inputs.Sigma(i - 1));
            var r = hLast / h;
            var halfInvR = (2 * r).reciprocal(); // Python's 1 / (2 * r) is reciprocal() * 1
            var denoisedD = ((1 + halfInvR) * denoised) - (halfInvR * oldDenoised);
            next = (decay * x) - (blend * denoisedD);
        }

        oldDenoised?.Dispose();
        oldDenoised = denoised.MoveToOuterDisposeScope();
        return next;
    }

    private static Tensor TOf(Tensor sigma) => sigma.log().neg();

    private static Tensor SigmaOf(Tensor t) => t.neg().exp();
}
