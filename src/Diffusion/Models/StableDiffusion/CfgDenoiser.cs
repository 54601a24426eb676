using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// Classifier-free guidance as comfy/samplers.py computes it: the UNet's denoised prediction for
/// the positive and negative conditionings, uncond + (cond - uncond) * cfg. At cfg 1 the negative
/// is never evaluated. All conditionings run as one batch ([negative..., positive...], each the
/// whole latent batch) when their lengths can be repeated to a common one (at most 4x, e.g. a
/// 154-token and a 77-token prompt), otherwise one call each. With a noise mask (inpainting) the
/// kept region is held at the noised original latent going in and the original coming out.
/// Models with an adm input (SDXL) get each entry's vector y, computed once here from the entry
/// and <paramref name="latentShape"/> (as ComfyUI's encode_model_conds does when sampling starts)
/// and batched with the contexts.
/// </summary>
public sealed class CfgDenoiser(DiffusionModel model, Conditioning positive, Conditioning negative, double cfg, InpaintMask? mask = null, long[]? latentShape = null)
{
    private readonly bool _runUncond = !PyMath.IsClose(cfg, 1.0);
    private readonly IReadOnlyList<Tensor>? _positiveAdm = EncodeAdm(model, positive, latentShape, negative: false);
    private readonly IReadOnlyList<Tensor>? _negativeAdm = EncodeAdm(model, negative, latentShape, negative: true);

    public Tensor Denoise(Tensor x, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var input = mask is null ? x : mask.BlendInput(x, sigma);
        var entries = (_runUncond ? negative.Entries.Select((e, i) => (Entry: e, Positive: false, Adm: _negativeAdm?[i])) : [])
            .Concat(positive.Entries.Select((e, i) => (Entry: e, Positive: true, Adm: _positiveAdm?[i])))
            .ToList();
        var outputs = Predict(input, sigma, entries.Select(e => e.Entry.Context).ToList(), entries.Select(e => e.Adm).ToList());
        var result = Average(outputs, entries, positive: true);
        if (_runUncond)
        {
            var uncond = Average(outputs, entries, positive: false);
            result = result.sub_(uncond).mul_(cfg).add_(uncond);
        }

        return (mask is null ? result : mask.BlendOutput(result)).MoveToOuterDisposeScope();
    }

    private static Tensor Average(List<Tensor> outputs, List<(ConditioningEntry Entry, bool Positive, Tensor? Adm)> entries, bool positive)
    {
        var chosen = entries.Select((e, i) => (e.Entry.Strength, Output: outputs[i], e.Positive)).Where(e => e.Positive == positive).ToList();
        if (chosen.Count == 1)
        {
            return chosen[0].Output.clone();
        }

        var sum = chosen.Aggregate((Tensor?)null, (acc, c) => acc is null ? c.Output * c.Strength : acc.add_(c.Output * c.Strength))!;
        return sum.div_(chosen.Sum(c => c.Strength));
    }

    private List<Tensor> Predict(Tensor x, Tensor sigma, List<Tensor> contexts, List<Tensor?> adms)
    {
        var batch = x.shape[0];
        var repeated = contexts.Select(c => Batches.RepeatTo(c, batch)).ToList();
        var ys = adms.Select(y => y is null ? null : Batches.RepeatTo(y, batch)).ToList();
        var lengths = repeated.Select(c => c.shape[1]).ToList();
        var common = lengths.Aggregate(Lcm);
        if (lengths.All(n => common / n <= 4))
        {
            var context = cat(repeated.Select(c => common == c.shape[1] ? c : c.repeat(1, common / c.shape[1], 1)).ToList(), 0);
            var y = ys[0] is null ? null : cat(ys.Select(t => t!).ToList(), 0);
            var n = repeated.Count;
            var all = Apply(n == 1 ? x : cat(Enumerable.Repeat(x, n).ToList(), 0), n == 1 ? sigma : cat(Enumerable.Repeat(sigma, n).ToList(), 0), context, y);
            return [.. all.chunk(n, 0)];
        }

        return [.. repeated.Select((c, i) => Apply(x, sigma, c, ys[i]))];
    }

    /// <summary>model_base._apply_model for EPS: scale the input, UNet at the nearest timestep, x - eps * sigma.</summary>
    private Tensor Apply(Tensor x, Tensor sigma, Tensor context, Tensor? y)
    {
        var input = ModelSamplingDiscrete.CalculateInput(sigma, x);
        var eps = model.Unet.Forward(input, model.Sampling.Timestep(sigma), context, y);
        return ModelSamplingDiscrete.CalculateDenoised(sigma, eps, x);
    }

    private static IReadOnlyList<Tensor>? EncodeAdm(DiffusionModel model, Conditioning conditioning, long[]? latentShape, bool negative) =>
        model.Adm is not { } adm ? null
        : latentShape is null ? throw new ArgumentException($"{model.Description} needs the latent shape for its adm vectors", nameof(latentShape))
        : [.. conditioning.Entries.Select(e => adm.Encode(e, latentShape, negative))];

    private static long Lcm(long a, long b) => a / Gcd(a, b) * b;

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
