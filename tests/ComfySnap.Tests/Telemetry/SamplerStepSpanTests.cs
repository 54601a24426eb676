using ComfySnap.Diffusion;
using System.Diagnostics;
using ComfySnap.Tests.Sampling.Support;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Telemetry;

/// <summary>Each sampler step is a span under whatever span runs the sampler (the KSampler's node span in a job).</summary>
public sealed class SamplerStepSpanTests
{
    [Fact]
    public void Every_step_is_one_child_span_numbered_in_order()
    {
        var steps = new List<Activity>();
        using var parentSource = new ActivitySource("ComfySnap.Tests.SamplerSteps");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is DiffusionActivities.SourceName or "ComfySnap.Tests.SamplerSteps",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        listener.ActivityStopped = a =>
        {
            lock (steps)
            {
                steps.Add(a);
            }
        };
        ActivitySource.AddActivityListener(listener);

        using var scope = NewDisposeScope();
        var sigmas = KSamplerSigmas.Compute(ModelSamplingDiscrete.Sd1, Samplers.Euler, Schedulers.Karras, 4);
        using (var node = parentSource.StartActivity("node"))
        {
            Samplers.Sample(Samplers.Euler, SamplingToys.Denoiser, randn(1, 4, 2, 2), sigmas, new SamplerOptions(1));
            List<Activity> mine;
            lock (steps)
            {
                // Other tests may sample in parallel: keep the spans of this node only.
                mine = [.. steps.Where(a => a.OperationName == DiffusionActivities.SamplerStep && a.ParentSpanId == node!.SpanId)];
            }

            Assert.Equal([1, 2, 3, 4], mine.Select(a => (int)a.GetTagItem("comfysnap.step")!));
            Assert.All(mine, a => Assert.Equal(4, (int)a.GetTagItem("comfysnap.steps")!));
            Assert.All(mine, a => Assert.Equal(Samplers.Euler, a.GetTagItem("comfysnap.sampler")));
        }
    }
}
