#!/usr/bin/env python3
"""ControlNet goldens for ComfySnap: expected PNGs of ComfyUI API workflows with ControlNetLoader,
ControlNetApply and ControlNetApplyAdvanced, and a direct ControlNet forward vector.

Runs inside the sdref chroot (not in CI). The reference is sdref's SD 1.x pipeline (CompVis UNet
and VAE, transformers CLIP, k-diffusion schedules, ComfyUI's CPU semantics; the optional sdref tool, SDREF_DIR),
extended here with:
  - the ControlNet module of lllyasviel/ControlNet (cldm/cldm.py ControlNet, with that repository's
    own ldm modules), loaded from a ControlNet file written by ComfySnap's make-checkpoint;
  - the UNet with control residuals from the same file (cldm.py ControlledUnetModel.forward, run on
    sdref's CompVis UNet, whose modules it shares);
  - what ComfyUI adds, re-implemented from reading its source (see README.md and
    docs/sd-semantics.md "ControlNet"): hint resize (common_upscale nearest-exact, center crop, to
    latent size * 8), broadcast_image_to, strength, global average pooling for *_shuffle files,
    start/end percent -> sigma window (percent_to_sigma), chained ControlNets
    (set_previous_controlnet, control_merge), control_apply_to_uncond (ControlNetApply), batching of
    conditionings by control object (calc_cond_batch / can_concat_cond), LoadImage.

usage (as root, from the worktree; SDREF_BIND makes the worktree visible in the chroot):
  SDREF_BIND=$PWD $SDREF_DIR/run.sh tests/.../Fixtures/controlnet/make_controlnet_expected.py --sdref $SDREF_DIR \
      --checkpoint CKPT --controlnets DIR --inputs DIR --cases DIR --out DIR [--write-inputs]
"""
import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import sys
import types



def _sdref_dir():
    """The optional sdref tool's folder: --sdref DIR (run.sh passes no environment into its chroot) or SDREF_DIR."""
    if "--sdref" in sys.argv:
        i = sys.argv.index("--sdref")
        folder = sys.argv[i + 1]
        del sys.argv[i:i + 2]
        return folder
    if os.environ.get("SDREF_DIR"):
        return os.environ["SDREF_DIR"]
    sys.exit("needs the sdref reference tool: pass --sdref DIR (the folder holding sdref.py) or set SDREF_DIR")


sys.path.insert(0, _sdref_dir())
import sdref  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

CNET_SRC = os.path.join(os.environ.get("SDREF_WORK", "/var/tmp/sdref/work"), "third_party_cnet")
COMPRESSION_RATIO = 8   # comfy/controlnet.py ControlBase.compression_ratio
UPSCALE_METHOD = "nearest-exact"   # ControlBase.upscale_algorithm


# ----------------------------------------------------------------------------------------------
# upstream ControlNet (lllyasviel/ControlNet cldm.py) beside sdref's CompVis ldm
# ----------------------------------------------------------------------------------------------
def upstream_cldm():
    """cldm/cldm.py imported with lllyasviel's own ldm modules (its SpatialTransformer takes the
    arguments ControlNet passes; CompVis's does not). sdref's CompVis `ldm` modules are set aside
    during the import and restored afterwards, so both live side by side. Training-only imports
    (torchvision.utils, ldm.models.diffusion.ddpm/ddim) are stubbed: the ControlNet class and
    ControlledUnetModel.forward need none of them."""
    if not os.path.isfile(os.path.join(CNET_SRC, "cldm", "cldm.py")):
        sys.exit(f"{CNET_SRC} has no cldm/cldm.py: run get-controlnet-sources.sh on the host")
    sdref.third_party()
    saved = {k: v for k, v in sys.modules.items() if k == "ldm" or k.startswith("ldm.")}
    for k in saved:
        del sys.modules[k]
    sys.path.insert(0, CNET_SRC)
    added = []

    def stub(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        m.__path__ = []
        sys.modules[name] = m
        added.append(name)

    try:
        import ldm  # noqa: F401  (namespace package from CNET_SRC)
        stub("torchvision")
        stub("torchvision.utils", make_grid=None)
        stub("ldm.models")
        stub("ldm.models.diffusion")
        stub("ldm.models.diffusion.ddpm", LatentDiffusion=type("LatentDiffusion", (torch.nn.Module,), {}))
        stub("ldm.models.diffusion.ddim", DDIMSampler=None)
        with contextlib.redirect_stdout(io.StringIO()):
            import cldm.cldm as cldm
    finally:
        for k in [k for k in sys.modules if k == "ldm" or k.startswith("ldm.") or k == "cldm"
                  or k.startswith("cldm.") or k in added]:
            if k != "cldm.cldm":
                del sys.modules[k]
        sys.modules.pop("cldm.cldm", None)
        sys.modules.update(saved)
        sys.path.remove(CNET_SRC)
    return cldm


CLDM = None


class ControlNetFile:
    """A ControlNet file as ComfyUI's load_controlnet reads lllyasviel's layout (control_model.*
    or bare keys): float32 on CPU; sizes from the shapes as sdref reads a UNet's; head counts from
    the file's sdref.arch header like a checkpoint's."""

    def __init__(self, path):
        sd, meta = sdref.read_checkpoint(path)
        over, self.arch_source = sdref.load_arch_overrides(path, meta)
        prefix = "control_model." if "control_model.zero_convs.0.0.weight" in sd else ""
        csd = {k[len(prefix):]: v.float() for k, v in sd.items() if k.startswith(prefix)}
        probe = {sdref.UNET + k: v for k, v in csd.items()}
        # sdref's UNet reader wants the output conv, which a ControlNet does not have
        probe[sdref.UNET + "out.2.weight"] = torch.empty(csd["input_blocks.0.0.weight"].shape[1], 1, 1, 1)
        cfg = sdref.infer_unet_config(probe, over)
        kw = {k: v for k, v in cfg.items() if not k.startswith("_") and k != "out_channels"}
        kw["hint_channels"] = csd["input_hint_block.0.weight"].shape[1]
        kw["use_linear_in_transformer"] = cfg["_linear_proj"]
        with contextlib.redirect_stdout(io.StringIO()):
            self.model = CLDM.ControlNet(**kw)
        self.model.load_state_dict(csd, strict=True)
        self.model.eval().requires_grad_(False)
        self.config = kw
        stem = os.path.splitext(os.path.basename(path))[0]
        self.global_average_pooling = stem.endswith("_shuffle") or stem.endswith("_shuffle_fp16")


class Control:
    """ComfyUI's ControlNet object after set_cond_hint (+ set_previous_controlnet)."""

    def __init__(self, net, image, strength, start_percent, end_percent, previous):
        self.net, self.image, self.strength = net, image, float(strength)
        self.percents = (float(start_percent), float(end_percent))
        self.previous = previous


# ----------------------------------------------------------------------------------------------
# ComfyUI rules (re-implemented from comfy/utils.py, comfy/controlnet.py, comfy/model_sampling.py)
# ----------------------------------------------------------------------------------------------
def common_upscale(samples, width, height, method, crop):
    """comfy/utils.py common_upscale for the interpolate methods."""
    if crop == "center":
        old_w, old_h = samples.shape[-1], samples.shape[-2]
        old_aspect, new_aspect = old_w / old_h, width / height
        x = y = 0
        if old_aspect > new_aspect:
            x = round((old_w - old_w * (new_aspect / old_aspect)) / 2)
        elif old_aspect < new_aspect:
            y = round((old_h - old_h * (old_aspect / new_aspect)) / 2)
        samples = samples.narrow(-2, y, old_h - y * 2).narrow(-1, x, old_w - x * 2)
    return F.interpolate(samples, size=(height, width), mode=method)


def broadcast_image_to(tensor, target_batch_size, batched_number):
    """comfy/controlnet.py broadcast_image_to."""
    if tensor.shape[0] == 1:
        return tensor
    per_batch = target_batch_size // batched_number
    tensor = tensor[:per_batch]
    if per_batch > tensor.shape[0]:
        tensor = torch.cat([tensor] * (per_batch // tensor.shape[0]) + [tensor[:(per_batch % tensor.shape[0])]], dim=0)
    if tensor.shape[0] == target_batch_size:
        return tensor
    return torch.cat([tensor] * batched_number, dim=0)


def percent_to_sigma(ms, percent):
    """comfy/model_sampling.py ModelSamplingDiscrete.percent_to_sigma."""
    if percent <= 0.0:
        return 999999999.9
    if percent >= 1.0:
        return 0.0
    percent = 1.0 - percent
    return ms.sigma(torch.tensor(percent * 999.0)).item()


def get_control(control, ms, x, sigma, context, batched_number):
    """ControlNet.get_control + control_merge: a list [input-block residuals..., middle] (the
    upstream ControlNet's output order, which ControlledUnetModel pops from the end), or None."""
    prev = None
    if control.previous is not None:
        prev = get_control(control.previous, ms, x, sigma, context, batched_number)
    start, end = (percent_to_sigma(ms, p) for p in control.percents)
    if sigma[0] > start or sigma[0] < end:   # pre_run's timestep_range, compared as ComfyUI does
        return prev
    hint = common_upscale(control.image.movedim(-1, 1), x.shape[3] * COMPRESSION_RATIO,
                          x.shape[2] * COMPRESSION_RATIO, UPSCALE_METHOD, "center").float()
    if x.shape[0] != hint.shape[0]:
        hint = broadcast_image_to(hint, x.shape[0], batched_number)
    outs = control.net.model(x=ms.calculate_input(sigma, x), hint=hint,
                             timesteps=ms.timestep(sigma).float(), context=context)
    merged = []
    for o in outs:
        if control.net.global_average_pooling:
            o = torch.mean(o, dim=(2, 3), keepdim=True).repeat(1, 1, o.shape[2], o.shape[3])
        merged.append(o * control.strength)
    if prev is not None:
        merged = [p + m for p, m in zip(prev, merged)]
    return merged


def apply_control_to_uncond(positive, negative):
    """comfy/samplers.py apply_empty_x_to_equal_area(filter(control_apply_to_uncond, positive),
    negative, 'control', ...): without area conds, and unless a negative already has a control,
    the i-th positive control goes to negative entry i % len(negative)."""
    cnets = [e[1]["control"] for e in positive if e[1].get("control_apply_to_uncond") and e[1].get("control") is not None]
    if any(e[1].get("control") is not None for e in negative):
        return negative
    out = list(negative)
    for i, c in enumerate(cnets):
        j = i % len(negative)
        d = dict(negative[j][1])
        d["control"] = c
        out[j] = (negative[j][0], d)
    return out


class ControlCFGDenoiser(sdref.CFGDenoiser):
    """sdref's CFGDenoiser (calc_cond_batch) with the control of each entry: entries are batched
    only with entries holding the same control object (can_concat_cond), each batch's controls
    run once on the batch (get_control with batched_number = entries in the batch) and the UNet
    adds their residuals (ControlledUnetModel.forward, as openaimodel apply_control)."""

    def __init__(self, models, positive, negative, cfg, latent_shape=None):
        positive = sdref.as_conditioning(positive)
        negative = apply_control_to_uncond(positive, sdref.as_conditioning(negative))
        super().__init__(models, positive, negative, cfg, latent_shape)

    def apply_control_model(self, x, sigma, context, control, n):
        residuals = None if control is None else get_control(control, self.ms, x, sigma, context, n)
        xc = self.ms.calculate_input(sigma, x)
        t = self.ms.timestep(sigma).float()
        if residuals is None:
            out = self.m.unet(xc, t, context=context).float()
        else:
            out = CLDM.ControlledUnetModel.forward(self.m.unet, xc, t, context=context, control=list(residuals)).float()
        return self.ms.calculate_denoised(sigma, out, x)

    def __call__(self, x, sigma):
        B = x.shape[0]
        run_uncond = not math.isclose(self.cfg, 1.0)
        entries = [(c, d, 0) for c, d in self.pos] + ([(c, d, 1) for c, d in self.neg] if run_uncond else [])
        to_run = [(sdref.repeat_to_batch_size(c, B), float(d.get("strength", 1.0)), slot, d.get("control"))
                  for c, d, slot in entries]
        self.evals += 1
        out = [torch.zeros_like(x), torch.zeros_like(x)]
        counts = [torch.ones_like(x) * 1e-37, torch.ones_like(x) * 1e-37]
        while to_run:
            first = to_run[0]
            idx = [i for i in range(len(to_run))
                   if to_run[i][3] is first[3] and sdref._can_concat({"c_crossattn": to_run[i][0]}, {"c_crossattn": first[0]})]
            batch = [to_run.pop(i) for i in reversed(idx)]
            n = len(batch)
            ctxs = [e[0] for e in batch]
            mx = math.lcm(*[c.shape[1] for c in ctxs])
            ctx = torch.cat([c.repeat(1, mx // c.shape[1], 1) if c.shape[1] < mx else c for c in ctxs])
            den = self.apply_control_model(torch.cat([x] * n), torch.cat([sigma] * n), ctx, first[3], n)
            for (_, strength, slot, _), chunk in zip(batch, den.chunk(n)):
                mult = torch.ones_like(x) * strength
                out[slot] += chunk * mult
                counts[slot] += mult
        for i in range(2):
            out[i] /= counts[i]
        cond, uncond = out
        return uncond + (cond - uncond) * self.cfg


sdref.CFGDenoiser = ControlCFGDenoiser   # common_ksampler builds its denoiser by this name


class ControlExecutor(sdref.Executor):
    SUPPORTED = sdref.Executor.SUPPORTED | {"ControlNetLoader", "ControlNetApply", "ControlNetApplyAdvanced", "LoadImage"}

    def __init__(self, prompt, ckpt, outdir, controlnets, inputs):
        self.controlnets, self.inputs = controlnets, inputs
        self.loaded = {}
        super().__init__(prompt, ckpt, outdir)

    def n_LoadImage(self, nid, image, **_):
        """nodes.py LoadImage (one frame, RGB, /255 float32); the mask output is not used here."""
        from PIL import Image, ImageOps
        with Image.open(os.path.join(self.inputs, image)) as i:
            i = ImageOps.exif_transpose(i)
            rgb = np.array(i.convert("RGB")).astype(np.float32) / 255.0
        return (torch.from_numpy(rgb)[None,], None)

    def n_ControlNetLoader(self, nid, control_net_name, **_):
        if control_net_name not in self.loaded:
            self.loaded[control_net_name] = ControlNetFile(os.path.join(self.controlnets, control_net_name))
        return (self.loaded[control_net_name],)

    def n_ControlNetApply(self, nid, conditioning, control_net, image, strength, **_):
        """nodes.py ControlNetApply: a copy per entry, chained after the entry's control, applied to uncond."""
        if strength == 0:
            return (conditioning,)
        out = []
        for cond, d in sdref.as_conditioning(conditioning):
            d = dict(d)
            d["control"] = Control(control_net, image, strength, 0.0, 1.0, d.get("control"))
            d["control_apply_to_uncond"] = True
            out.append((cond, d))
        return (out,)

    def n_ControlNetApplyAdvanced(self, nid, positive, negative, control_net, image, strength,
                                  start_percent, end_percent, vae=None, **_):
        """nodes.py ControlNetApplyAdvanced: one copy per previous control object, shared by
        positive and negative."""
        if strength == 0:
            return (positive, negative)
        cnets = {}
        out = []
        for conditioning in (positive, negative):
            c = []
            for cond, d in sdref.as_conditioning(conditioning):
                d = dict(d)
                prev = d.get("control")
                if id(prev) not in cnets:
                    cnets[id(prev)] = Control(control_net, image, strength, start_percent, end_percent, prev)
                d["control"] = cnets[id(prev)]
                d["control_apply_to_uncond"] = False
                c.append((cond, d))
            out.append(c)
        return (out[0], out[1])


# ----------------------------------------------------------------------------------------------
def write_inputs(folder):
    """The control images the cases load (deterministic patterns, like edge maps)."""
    from PIL import Image
    os.makedirs(folder, exist_ok=True)

    def save(name, arr):
        Image.fromarray(arr.astype(np.uint8)).save(os.path.join(folder, name))

    # 64x64: a white ring and a bar on black
    yy, xx = np.mgrid[0:64, 0:64]
    r = np.hypot(yy - 30, xx - 34)
    ring = ((r > 14) & (r < 19)) | ((yy > 50) & (yy < 55) & (xx > 8) & (xx < 56))
    save("control-ring-64.png", np.repeat(ring[..., None] * 255, 3, axis=2))
    # 100x60 (another size and aspect than any case's output): coloured diagonal stripes
    yy, xx = np.mgrid[0:60, 0:100]
    stripes = np.stack([((xx + yy) // 6 % 2) * 255, ((xx - yy) // 9 % 2) * 200, (xx * 255) // 99], axis=2)
    save("control-stripes-100x60.png", stripes)
    # 48x80: a grey gradient with a white square
    yy, xx = np.mgrid[0:80, 0:48]
    g = (yy * 3) % 256
    g[20:44, 12:36] = 255
    save("control-square-48x80.png", np.repeat(g[..., None], 3, axis=2))


def forward_vector(cnet_path, out_path):
    """The upstream ControlNet's residuals for fixed inputs (batch 2, one hint for both)."""
    from safetensors.torch import save_file
    net = ControlNetFile(cnet_path)
    g = torch.Generator().manual_seed(11)
    ctx_dim = net.config["context_dim"]
    x = torch.randn(2, 4, 8, 6, generator=g)
    hint = torch.rand(1, 3, 64, 48, generator=g)
    t = torch.tensor([999.0, 321.0])
    context = torch.randn(2, 77, ctx_dim, generator=g)
    with torch.no_grad():
        outs = net.model(x=x, hint=hint, timesteps=t, context=context)
    tensors = {"x": x, "hint": hint, "timesteps": t, "context": context}
    for i, o in enumerate(outs[:-1]):
        tensors[f"skip.{i}"] = o.contiguous()
    tensors["middle"] = outs[-1].contiguous()
    save_file(tensors, out_path, metadata={"controlnet": os.path.basename(cnet_path), "torch": torch.__version__})
    return {k: list(v.shape) for k, v in tensors.items()}


def parameter_count(preset_cfg):
    with contextlib.redirect_stdout(io.StringIO()):
        with torch.device("meta"):
            m = CLDM.ControlNet(**preset_cfg)
    return sum(p.numel() for p in m.parameters())


def main():
    global CLDM
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True, help="the SD 1.x tiny checkpoint (make-checkpoint tiny)")
    ap.add_argument("--controlnets", required=True, help="folder of the ControlNet files the cases name")
    ap.add_argument("--inputs", required=True, help="folder of the control images the cases load")
    ap.add_argument("--cases", required=True, help="folder of workflow .json files")
    ap.add_argument("--out", required=True, help="writes expected/<case>/*.png, forward.safetensors, manifest.json")
    ap.add_argument("--write-inputs", action="store_true", help="(re)write the control images first")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    CLDM = upstream_cldm()
    if args.write_inputs:
        write_inputs(args.inputs)
    os.makedirs(args.out, exist_ok=True)
    manifest = {"reference": {"tool": "make_controlnet_expected.py over sdref/sdref.py + lllyasviel/ControlNet cldm.py",
                              "torch": torch.__version__, "threads": args.threads},
                "checkpoint_sha256": hashlib.sha256(open(args.checkpoint, "rb").read()).hexdigest(),
                "controlnets": {f: hashlib.sha256(open(os.path.join(args.controlnets, f), "rb").read()).hexdigest()
                                for f in sorted(os.listdir(args.controlnets)) if f.endswith(".safetensors")},
                "cases": []}
    first_cnet = sorted(manifest["controlnets"])[0]
    manifest["forward"] = {"controlnet": first_cnet,
                           "shapes": forward_vector(os.path.join(args.controlnets, first_cnet),
                                                    os.path.join(args.out, "forward.safetensors"))}
    sd15 = dict(image_size=32, in_channels=4, hint_channels=3, model_channels=320, attention_resolutions=[4, 2, 1],
                num_res_blocks=2, channel_mult=[1, 2, 4, 4], num_heads=8, use_spatial_transformer=True,
                transformer_depth=1, context_dim=768, use_checkpoint=False, legacy=False)
    manifest["cldm_v15_parameters"] = parameter_count(sd15)
    for name in sorted(f for f in os.listdir(args.cases) if f.endswith(".json")):
        case = name[:-5]
        with open(os.path.join(args.cases, name)) as f:
            prompt = json.load(f)
        runs = []
        for run in range(2):
            outdir = os.path.join(args.out, "runs", f"{case}-{run}")
            os.makedirs(outdir, exist_ok=True)
            for f in os.listdir(outdir):
                os.remove(os.path.join(outdir, f))
            ex = ControlExecutor(prompt, args.checkpoint, outdir, args.controlnets, args.inputs)
            res = ex.execute()
            files = sorted(p for o in res["outputs"].values() for p in o["files"])
            runs.append({p: open(os.path.join(outdir, p), "rb").read() for p in files})
            stats = [o for o in res["outputs"].values()]
        same = [runs[0][p] == runs[1][p] for p in runs[0]]
        if not all(same):
            sys.exit(f"{case}: two runs differ")
        dest = os.path.join(args.out, "expected", case)
        os.makedirs(dest, exist_ok=True)
        for p, data in runs[0].items():
            with open(os.path.join(dest, os.path.basename(p)), "wb") as f:
                f.write(data)
        manifest["cases"].append({"name": case, "images": sorted(runs[0]),
                                  "pixel_std": [o["pixel_std"] for o in stats], "pixel_mean": [o["pixel_mean"] for o in stats],
                                  "deterministic_over_runs": True})
        print(f"{case}: {len(runs[0])} image(s), std {[round(o['pixel_std'], 2) for o in stats]}", flush=True)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("cldm_v15 parameters:", manifest["cldm_v15_parameters"])


if __name__ == "__main__":
    main()
