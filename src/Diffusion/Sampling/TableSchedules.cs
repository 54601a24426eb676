using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// Schedules read from the model's table of training sigmas (comfy/samplers.py normal_scheduler,
/// simple_scheduler, ddim_scheduler). Values are taken one at a time from 0-d tensors, as ComfyUI's
/// Python loops do, so each one goes through the same scalar kernels.
/// </summary>
internal static class TableSchedules
{
    // math.isclose(x, 0, abs_tol=1e-5): a schedule whose last table sigma is ~0 needs no appended zero.
    private const double ZeroTolerance = 0.00001;

    /// <summary>normal (and sgm_uniform): sigma(t) at timesteps evenly spaced from the top to the bottom of the table.</summary>
    public static Tensor Normal(ModelSamplingDiscrete ms, int steps, bool sgm)
    {
        using var scope = NewDisposeScope();
        var start = ms.Timestep(ms.Sigmas[-1]).item<float>();
        var end = ms.Timestep(ms.Sigmas[0]).item<float>();
        var appendZero = true;
        Tensor timesteps;
        if (sgm)
        {
            timesteps = linspace(start, end, steps + 1, float32).narrow(0, 0, steps);
        }
        else
        {
            if (PyMath.IsClose(ms.Sigma(tensor(end)).item<float>(), 0, absTol: ZeroTolerance))
            {
                steps += 1;
                appendZero = false;
            }

            timesteps = linspace(start, end, steps, float32);
        }

        var sigmas = new List<float>();
        for (var i = 0; i < timesteps.shape[0]; i++)
        {
            sigmas.Add(ms.Sigma(timesteps[i]).item<float>());
        }

        if (appendZero)
        {
            sigmas.Add(0f);
        }

        return tensor(sigmas.ToArray()).MoveToOuterDisposeScope();
    }

    /// <summary>simple: every (count / steps)-th table sigma from the top, then 0.</summary>
    public static Tensor Simple(ModelSamplingDiscrete ms, int steps)
    {
        var table = ms.Sigmas.data<float>().ToArray();
        var stride = (double)table.Length / steps;
        var sigmas = new float[steps + 1];
        for (var i = 0; i < steps; i++)
        {
            sigmas[i] = table[table.Length - 1 - (int)(i * stride)];
        }

        return tensor(sigmas);
    }

    /// <summary>ddim_uniform: table sigmas 1, 1 + stride, ... (stride = count / steps), reversed, after a 0.</summary>
    public static Tensor DdimUniform(ModelSamplingDiscrete ms, int steps)
    {
        var table = ms.Sigmas.data<float>().ToArray();
        var x = 1;
        var ascending = new List<float>();
        if (PyMath.IsClose(table[x], 0, absTol: ZeroTolerance))
        {
            steps += 1;
        }
        else
        {
            ascending.Add(0f);
        }

        var stride = Math.Max(table.Length / steps, 1);
        for (; x < table.Length; x += stride)
        {
            ascending.Add(table[x]);
        }

        ascending.Reverse();
        return tensor(ascending.ToArray());
    }
}
