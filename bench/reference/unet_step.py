#!/usr/bin/env python3
"""The `diffusion` bench suite's reference side: the same measurements as the C# child
(bench/ComfySnap.Bench/DiffusionChild.cs) by the sdref reference's PyTorch models.

usage (through sdref's run.sh, which runs it in the reference chroot):
  run.sh unet_step.py CHECKPOINT --sdref SDREF_DIR --threads N [--size 512] [--runs 3]

Loads CHECKPOINT as sdref.SDModels (UNet and VAE in fp32, CLIP weights rounded through fp16, as
ComfyUI on CPU), runs the same warm-up as the worker's boot (a one-step 64x64 render's model
calls: two text encodes, one batch-2 UNet forward on an 8x8 latent, a VAE decode and encode),
then times RUNS text encodes of the default workflow's positive prompt and RUNS UNet forwards of
batch 2 (negative + positive 77-token contexts, SIZE/8 latent, timestep 999), under no_grad with
N torch threads. Progress goes to stderr; the last stdout line is "RESULT {json}" (seconds, MiB).
"""
import argparse
import json
import resource
import sys
import time

POSITIVE = "masterpiece best quality girl"
NEGATIVE = "bad hands"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--sdref", required=True, help="folder holding sdref.py")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    sys.path.insert(0, a.sdref)
    import torch
    import sdref

    torch.set_num_threads(a.threads)
    t = time.perf_counter()
    m = sdref.SDModels(a.checkpoint)
    load_s = time.perf_counter() - t
    print(f"    reference: loaded in {load_s:.1f} s ({torch.get_num_threads()} torch threads, torch {torch.__version__}); warm-up ...",
          file=sys.stderr, flush=True)
    tok = sdref.SDTokenizer()

    def encode(text):
        return sdref.clip_encode(m, tok.tokenize_with_weights(text))

    def timed(what, fn):
        seconds = []
        for i in range(a.runs):
            t = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - t)
            print(f"    reference: {what} run {i + 1}: {seconds[-1]:.2f} s", file=sys.stderr, flush=True)
        return seconds

    with torch.no_grad():
        warm = torch.cat([encode(""), encode("warm-up")])
        m.unet(torch.zeros(2, 4, 8, 8), torch.full((2,), 999.0), context=warm)
        image = m.vae.decode(torch.zeros(1, 4, 8, 8))
        m.vae.encode_mode(image)

        text = timed("text encode", lambda: encode(POSITIVE))
        context = torch.cat([encode(NEGATIVE), encode(POSITIVE)])
        side = a.size // 8
        x = torch.randn(2, 4, side, side, generator=torch.Generator().manual_seed(0))
        timesteps = torch.full((2,), 999.0)
        unet = timed(f"UNet step {a.size}x{a.size} (batch 2)", lambda: m.unet(x, timesteps, context=context))

    result = {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "load_s": load_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "text_encode_s": text,
        "unet_step_s": unet,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
