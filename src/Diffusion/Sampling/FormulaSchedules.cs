using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// Schedules given by a closed formula over [sigma_min, sigma_max]: k-diffusion's get_sigmas_karras and
/// get_sigmas_exponential, ComfyUI's linear_quadratic and kl_optimal. Python float (double) parts stay
/// double here; tensor parts are the same float32 ops on the same shapes.
/// </summary>
internal static class FormulaSchedules
{
    public const double KarrasRho = 7.0;

    // linear_quadratic_schedule's defaults in ComfyUI.
    private const double LinearQuadraticThresholdNoise = 0.025;

    /// <summary>Karras et al. (2022): sigma_i = (max^(1/rho) + i/(n-1) * (min^(1/rho) - max^(1/rho)))^rho, then 0.</summary>
    public static Tensor Karras(int n, double sigmaMin, double sigmaMax, double rho = KarrasRho)
    {
        using var scope = NewDisposeScope();
        var ramp = linspace(0, 1, n, float32);
        var minInvRho = Math.Pow(sigmaMin, 1 / rho);
        var maxInvRho = Math.Pow(sigmaMax, 1 / rho);
        var sigmas = (maxInvRho + (ramp * (minInvRho - maxInvRho))).pow(rho);
        return AppendZero(sigmas).MoveToOuterDisposeScope();
    }

    /// <summary>Evenly spaced in log sigma from sigma_max to sigma_min, then 0.</summary>
    public static Tensor Exponential(int n, double sigmaMin, double sigmaMax)
    {
        using var scope = NewDisposeScope();
        var sigmas = linspace(Math.Log(sigmaMax), Math.Log(sigmaMin), n, float32).exp();
        return AppendZero(sigmas).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ComfyUI's linear_quadratic (from Mochi): 1 - schedule, where the schedule rises linearly to the
    /// threshold noise over the first half of the steps and quadratically to 1 over the rest; times sigma_max.
    /// </summary>
    public static Tensor LinearQuadratic(int steps, float sigmaMax)
    {
        double[] schedule;
        if (steps == 1)
        {
            schedule = [1.0, 0.0];
        }
        else
        {
            const double threshold = LinearQuadraticThresholdNoise;
            var linearSteps = steps / 2;
            var quadraticSteps = steps - linearSteps;
            var diff = linearSteps - (threshold * steps);
            var quadCoef = diff / (linearSteps * quadraticSteps * quadraticSteps);
            var linearCoef = (threshold / linearSteps) - (2 * diff / (quadraticSteps * quadraticSteps));
            var constant = quadCoef * (linearSteps * linearSteps);
            var rising = new List<double>(steps + 1);
            for (var i = 0; i < linearSteps; i++)
            {
                rising.Add(i * threshold / linearSteps);
            }

            for (var i = linearSteps; i < steps; i++)
            {
                rising.Add((quadCoef * (i * i)) + (linearCoef * i) + constant);
            }

            rising.Add(1.0);
            schedule = rising.Select(x => 1.0 - x).ToArray();
        }

        using var scope = NewDisposeScope();
        var asFloat = tensor(schedule.Select(x => (float)x).ToArray());
        return (asFloat * sigmaMax).MoveToOuterDisposeScope();
    }

    /// <summary>ComfyUI's kl_optimal (arXiv 2407.12173): tan of atan(sigma) interpolated linearly, then 0. n = 1 gives NaN, as in ComfyUI.</summary>
    public static Tensor KlOptimal(int n, double sigmaMin, double sigmaMax)
    {
        using var scope = NewDisposeScope();
        var adj = arange(n, float32).div_(n - 1);
        var sigmas = zeros(n + 1, float32);
        var interpolated = (adj * Math.Atan(sigmaMin)) + ((1 - adj) * Math.Atan(sigmaMax));
        sigmas.narrow(0, 0, n).copy_(interpolated.tan_());
        return sigmas.MoveToOuterDisposeScope();
    }

    private static Tensor AppendZero(Tensor sigmas) => cat([sigmas, zeros(1, sigmas.dtype)]);
}
