using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// Classifier-free guidance as comfy/samplers.py computes it: the UNet's denoised prediction for
/// the positive and negative conditionings, uncond + (cond - uncond) * cfg. At cfg 1 the negative
/// is never evaluated. Conditionings are batched as calc_cond_batch batches them: from the
/// positive entries, then the negative ones, each batch takes the first pending entry and every
/// pending entry it can be concatenated with, in reverse order (so usually [negative, positive]),
/// each the whole latent batch. Entries concatenate when they hold the same ControlNets and their
/// context lengths can be repeated to a common one (at most 4x the shorter, e.g. a 154-token and
/// a 77-token prompt). A batch's ControlNets run on the same input (<see cref="ControlEvaluation"/>).
/// With a noise mask (inpainting) the kept region is held at the noised original latent going in
/// and the original coming out. Models with an adm input (SDXL) get each entry's vector y,
/// computed once here from the entry and <paramref name="latentShape"/> (as ComfyUI's
/// encode_model_conds does when sampling starts) and batched with the contexts.
/// </summary>
public sealed class CfgDenoiser(DiffusionModel model, Conditioning positive, Conditioning negative, double cfg, InpaintMask? mask = null, long[]? latentShape = null)
{
    private readonly bool _runUncond = !PyMath.IsClose(cfg, 1.0);
    private readonly Conditioning _negative = UncondControl.Fill(positive, negative);
    private readonly IReadOnlyList<Tensor>? _positiveAdm = EncodeAdm(model, positive, latentShape, negative: false);
    private readonly IReadOnlyList<Tensor>? _negativeAdm = EncodeAdm(model, negative, latentShape, negative: true);

    public Tensor Denoise(Tensor x, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var input = mask is null ? x : mask.BlendInput(x, sigma);
        var entries = positive.Entries.Select((e, i) => (Entry: e, Positive: true, Adm: _positiveAdm?[i]))
            .Concat(_runUncond ? _negative.Entries.Select((e, i) => (Entry: e, Positive: false, Adm: _negativeAdm?[i])) : [])
            .ToList();
        var outputs = Predict(input, sigma, [.. entries.Select(e => (e.Entry, e.Adm))]);
        var result = Average(outputs, entries, positive: true);
        if (_runUncond)
        {
            var uncond = Average(outputs, entries, positive: false);
            result = result.sub_(uncond).mul_(cfg).add_(uncond);
        }

        return (mask is null ? result : mask.BlendOutput(result)).MoveToOuterDisposeScope();
    }

    private static Tensor Average(Tensor[] outputs, List<(ConditioningEntry Entry, bool Positive, Tensor? Adm)> entries, bool positive)
    {
        var chosen = entries.Select((e, i) => (e.Entry.Strength, Output: outputs[i], e.Positive)).Where(e => e.Positive == positive).ToList();
        if (chosen.Count == 1)
        {
            return chosen[0].Output.clone();
        }

        var sum = chosen.Aggregate((Tensor?)null, (acc, c) => acc is null ? c.Output * c.Strength : acc.add_(c.Output * c.Strength))!;
        return sum.div_(chosen.Sum(c => c.Strength));
    }

    /// <summary>The denoised prediction of every entry, in the entries' order.</summary>
    private Tensor[] Predict(Tensor x, Tensor sigma, IReadOnlyList<(ConditioningEntry Entry, Tensor? Adm)> entries)
    {
        var batch = x.shape[0];
        var contexts = entries.Select(e => Batches.RepeatTo(e.Entry.Context, batch)).ToList();
        var ys = entries.Select(e => e.Adm is null ? null : Batches.RepeatTo(e.Adm, batch)).ToList();
        var outputs = new Tensor[entries.Count];
        var pending = Enumerable.Range(0, entries.Count).ToList();
        while (pending.Count > 0)
        {
            var first = pending[0];
            var group = pending.Where(i => CanConcat(entries[i].Entry, contexts[i], entries[first].Entry, contexts[first])).Reverse().ToList();
            pending.RemoveAll(group.Contains);

            var n = group.Count;
            var common = group.Select(i => contexts[i].shape[1]).Aggregate(Lcm);
            var context = cat([.. group.Select(i => common == contexts[i].shape[1] ? contexts[i] : contexts[i].repeat(1, common / contexts[i].shape[1], 1))], 0);
            var y = ys[first] is null ? null : cat([.. group.Select(i => ys[i]!)], 0);
            var all = Apply(n == 1 ? x : cat([.. Enumerable.Repeat(x, n)], 0), n == 1 ? sigma : cat([.. Enumerable.Repeat(sigma, n)], 0), context, y, entries[first].Entry.Control, n);
            var chunks = all.chunk(n, 0);
            for (var k = 0; k < n; k++)
            {
                outputs[group[k]] = chunks[k];
            }
        }

        return outputs;
    }

    /// <summary>can_concat_cond: the same ControlNets (by identity) and contexts of one width whose lengths repeat to a common one at most 4x the shorter.</summary>
    private static bool CanConcat(ConditioningEntry a, Tensor contextA, ConditioningEntry b, Tensor contextB)
    {
        if (a.Control?.Id != b.Control?.Id)
        {
            return false;
        }

        var (la, lb) = (contextA.shape[1], contextB.shape[1]);
        return la == lb || (contextA.shape[2] == contextB.shape[2] && Lcm(la, lb) / Math.Min(la, lb) <= 4);
    }

    /// <summary>model_base._apply_model for EPS: scale the input, UNet at the nearest timestep (with adm y and the batch's ControlNets), x - eps * sigma.</summary>
    private Tensor Apply(Tensor x, Tensor sigma, Tensor context, Tensor? y, ControlApplication? control, int batched)
    {
        using var residuals = control is null ? null : ControlEvaluation.Evaluate(control, model.Sampling, x, sigma, context, y, batched);
        var input = ModelSamplingDiscrete.CalculateInput(sigma, x);
        var eps = model.Unet.Forward(input, model.Sampling.Timestep(sigma), context, y, residuals);
        return ModelSamplingDiscrete.CalculateDenoised(sigma, eps, x);
    }

    private static IReadOnlyList<Tensor>? EncodeAdm(DiffusionModel model, Conditioning conditioning, long[]? latentShape, bool negative) =>
        model.Adm is not { } adm ? null
        : latentShape is null ? throw new ArgumentException($"{model.Description} needs the latent shape for its adm vectors", nameof(latentShape))
        : [.. conditioning.Entries.Select(e => adm.Encode(e, latentShape, negative))];

    private static long Lcm(long a, long b) => a / Gcd(a, b) * b;

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
