namespace ComfySnap.Diffusion.Sampling;

/// <summary>Python's float helpers where the reference's decisions depend on their exact rules.</summary>
internal static class PyMath
{
    /// <summary>math.isclose: a == b, or |a - b| &lt;= max(relTol * max(|a|, |b|), absTol).</summary>
    public static bool IsClose(double a, double b, double relTol = 1e-9, double absTol = 0.0)
    {
        if (a == b)
        {
            return true;
        }

        if (double.IsInfinity(a) || double.IsInfinity(b))
        {
            return false;
        }

        var diff = Math.Abs(b - a);
        return diff <= Math.Abs(relTol * b) || diff <= Math.Abs(relTol * a) || diff <= absTol;
    }
}
