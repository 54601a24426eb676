"""Writes the sampling fixtures (JSON) next to this file from the Python reference (sdref).

Run once, from the repository root, inside the sdref chroot (optional developer tool: set SDREF_DIR to it):

    SDREF_BIND=$PWD $SDREF_DIR/run.sh $PWD/tests/ComfySnap.Tests/Sampling/Fixtures/make_fixtures.py

Every expected value comes from sdref's own functions (ModelSamplingDiscrete, calculate_sigmas,
ksampler_sigmas, prepare_noise, default_noise_sampler, SAMPLERS, common_ksampler); nothing here
re-implements them. The toy denoiser / toy UNet below are defined identically in the C# tests
(SamplingToys.cs): keep the two in step.
"""
import json
import math
import os
import sys

import numpy as np  # noqa: F401  (float32 str in floats())
import torch

sys.path.insert(0, os.environ.get("SDREF_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 5, "shared", "sdref")))
import sdref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform",
              "linear_quadratic", "kl_optimal"]
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "ddim", "lcm"]
NOISE_SEEDS = [0, 42, 8566257, 2**63 + 5, 2**64 - 1]


def floats(t):
    """Flat list of a float32 tensor's values, each written as the shortest decimal that reads back as
    the same float32 (read it as a float, not a double); NaN becomes null (JSON has no NaN)."""
    vals = t.detach().float().flatten().numpy()
    return [None if math.isnan(v) else float(str(v)) for v in vals]


def write(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {os.path.getsize(os.path.join(HERE, name))} bytes")


# The toys use only +, *, / (correctly rounded everywhere), not tanh or exp: libtorch builds differ in
# those by an ulp (TorchSharp's libtorch 2.10 vs torch 2.14's tanh), which would hide whether the
# sampler arithmetic itself matches exactly.
def toy_denoiser(x, sigma):
    """Not linear in x: denoised = x * 0.8 / (1 + sigma + x * x * 0.1), sigma a [B] tensor."""
    return x * 0.8 / (1 + sigma.view(-1, 1, 1, 1) + x * x * 0.1)


class ToyUnet:
    """Stands in for the UNet in common_ksampler: eps = x_in * 0.5 / (1 + x_in * x_in * 0.1) + t * 0.001."""

    def __call__(self, x_in, t, context=None):
        return x_in * 0.5 / (1 + x_in * x_in * 0.1) + t.view(-1, 1, 1, 1) * 0.001


class ToyModels:
    def __init__(self):
        self.model_sampling = sdref.ModelSamplingDiscrete()
        self.latent_scale = 0.18215
        self.unet = ToyUnet()


def model_sampling_fixture(ms):
    sig = torch.tensor([0.02, 0.0291675, 0.5, 1.0, 3.3, 14.6146, 20.0], dtype=torch.float32)
    ts = torch.tensor([0.0, 0.25, 1.5, 500.0, 998.75, 999.0, -3.0, 1200.0], dtype=torch.float32)
    x = torch.linspace(-2, 2, 2 * 3 * 2 * 2).view(2, 3, 2, 2)
    eps = torch.linspace(1, -1, 2 * 3 * 2 * 2).view(2, 3, 2, 2)
    bs = torch.tensor([0.5, 7.25], dtype=torch.float32)
    return {
        "sigmas": floats(ms.sigmas), "log_sigmas": floats(ms.log_sigmas),
        "timestep_in": floats(sig), "timestep_out": ms.timestep(sig).tolist(),
        "sigma_in": floats(ts), "sigma_out": floats(ms.sigma(ts)),
        "x": floats(x), "x_shape": list(x.shape), "eps": floats(eps), "batch_sigmas": floats(bs),
        "calculate_input": floats(ms.calculate_input(bs, x)),
        "calculate_denoised": floats(ms.calculate_denoised(bs, eps, x)),
        "noise_scaling_max": floats(ms.noise_scaling(bs[1], eps, x, max_denoise=True)),
        "noise_scaling": floats(ms.noise_scaling(bs[1], eps, x, max_denoise=False)),
    }


def schedule_fixture(ms):
    schedules = []
    for name in SCHEDULERS:
        for steps in [1, 2, 4, 10, 30]:
            schedules.append({"scheduler": name, "steps": steps,
                              "sigmas": floats(sdref.calculate_sigmas(ms, name, steps))})
    ksampler = []
    for sampler in ["euler", "dpm_2"]:
        for name in SCHEDULERS:
            for steps in [1, 4, 10]:
                for denoise in [1.0, 0.75, 0.5, 0.3, 0.0]:
                    s = sdref.ksampler_sigmas(ms, sampler, name, steps, denoise)
                    ksampler.append({"sampler": sampler, "scheduler": name, "steps": steps,
                                     "denoise": denoise, "sigmas": floats(s)})
    return {"schedules": schedules, "ksampler": ksampler}


def noise_fixture():
    shape = [2, 4, 8, 8]
    latent = torch.zeros(shape)
    cases = []
    for seed in NOISE_SEEDS:
        n = sdref.prepare_noise(latent, seed)
        # The C# side uses a fresh Generator, not torch's global one: check they agree here too.
        fresh = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(n, fresh), seed
        cases.append({"seed": str(seed), "shape": shape, "values": floats(n),
                      "sum": float(n.double().sum()), "abs_sum": float(n.double().abs().sum())})
    # default_noise_sampler: the ancestral noise stream (seed + offset), three draws of [1,4,4,4].
    x = torch.zeros([1, 4, 4, 4])
    streams = []
    for seed in [42, 2**63 + 5]:
        ns = sdref.default_noise_sampler(x, seed, sdref.ANCESTRAL_SEED_OFFSET_CPU)
        streams.append({"seed": str(seed), "offset": sdref.ANCESTRAL_SEED_OFFSET_CPU, "shape": list(x.shape),
                        "draws": [floats(ns(None, None)) for _ in range(3)]})
    return {"prepare_noise": cases, "noise_sampler": streams}


class NoTimer:
    def tick(self):
        pass


def sampler_fixture(ms):
    seed = 42
    shape = [2, 4, 4, 4]
    runs = []
    for sampler in SAMPLERS:
        for scheduler in ["karras", "normal"]:
            for steps in [4, 6]:
                sigmas = sdref.ksampler_sigmas(ms, sampler, scheduler, steps, 1.0)
                noise = sdref.prepare_noise(torch.zeros(shape), seed)
                x = ms.noise_scaling(sigmas[0], noise, torch.zeros(shape), max_denoise=True)
                ns = sdref.default_noise_sampler(x, seed, sdref.ANCESTRAL_SEED_OFFSET_CPU)
                out = sdref.SAMPLERS[sampler](toy_denoiser, x, sigmas, NoTimer(), noise_sampler=ns,
                                              model_sampling=ms)
                runs.append({"sampler": sampler, "scheduler": scheduler, "steps": steps, "seed": str(seed),
                             "shape": shape, "sigmas": floats(sigmas), "x": floats(out)})
    return {"runs": runs}


def ksampler_fixture():
    """Whole common_ksampler runs (noise, sigmas, trimming, noise scaling, sampler) on a toy UNet."""
    models = ToyModels()
    ctx = torch.zeros([1, 77, 8])
    shape = [2, 4, 4, 4]
    start = torch.randn(shape, generator=torch.Generator().manual_seed(7))
    cases = [
        # name, sampler, scheduler, steps, denoise, latent, seed, advanced (add_noise, start, end, leftover)
        ("empty_euler_normal", "euler", "normal", 4, 1.0, "zeros", 5, None),
        ("img2img_ancestral_karras", "euler_ancestral", "karras", 5, 0.6, "start", 8566257, None),
        ("img2img_dpm2_normal", "dpm_2", "normal", 4, 0.75, "start", 3, None),
        ("adv_window_leftover", "dpmpp_2m", "karras", 10, 1.0, "zeros", 11, ("enable", 2, 6, "enable")),
        ("adv_window_full", "dpmpp_2m", "karras", 10, 1.0, "zeros", 11, ("enable", 2, 6, "disable")),
        ("adv_no_noise_tail", "heun", "exponential", 6, 1.0, "start", 12, ("disable", 3, 10000, "disable")),
        ("adv_start_past_end", "euler", "normal", 6, 1.0, "start", 13, ("enable", 6, 10000, "disable")),
        ("adv_lcm_big_seed", "lcm", "sgm_uniform", 4, 1.0, "zeros", 2**63 + 5, ("enable", 0, 3, "disable")),
    ]
    out = []
    for name, sampler, scheduler, steps, denoise, latent_kind, seed, adv in cases:
        latent = torch.zeros(shape) if latent_kind == "zeros" else start.clone()
        kw = {}
        if adv is not None:
            add_noise, s0, s1, leftover = adv
            kw = dict(disable_noise=(add_noise == "disable"), start_step=s0, last_step=s1,
                      force_full_denoise=(leftover != "enable"))
        res, info = sdref.common_ksampler(models, seed, steps, 1.0, sampler, scheduler, ctx, ctx,
                                          {"samples": latent}, denoise=denoise, **kw)
        out.append({"name": name, "sampler": sampler, "scheduler": scheduler, "steps": steps, "denoise": denoise,
                    "seed": str(seed), "shape": shape, "latent": floats(latent),
                    "add_noise": adv is None or adv[0] == "enable",
                    "start_at_step": None if adv is None else adv[1],
                    "end_at_step": None if adv is None else adv[2],
                    "force_full_denoise": adv is None or adv[3] != "enable",
                    "sigmas": info["sigmas"], "max_denoise": info.get("max_denoise"),
                    "samples": floats(res["samples"])})
    return {"cases": out}


def main():
    torch.set_num_threads(1)
    ms = sdref.ModelSamplingDiscrete()
    with torch.no_grad():
        write("model_sampling.json", model_sampling_fixture(ms))
        write("schedules.json", schedule_fixture(ms))
        write("noise.json", noise_fixture())
        write("samplers.json", sampler_fixture(ms))
        write("ksampler.json", ksampler_fixture())
    with open(os.path.join(HERE, "SOURCE.txt"), "w") as f:
        f.write(f"torch {torch.__version__}, cpu capability {torch.backends.cpu.get_cpu_capability()}, "
                f"sdref ANCESTRAL_SEED_OFFSET_CPU={sdref.ANCESTRAL_SEED_OFFSET_CPU}\n")


if __name__ == "__main__":
    main()
