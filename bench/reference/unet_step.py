#!/usr/bin/env python3
"""The `diffusion` bench suite's reference side: the same measurements as the C# child
(bench/ComfySnap.Bench/DiffusionChild.cs) by the sdref reference's PyTorch models.

usage (through sdref's run.sh, which runs it in the reference chroot):
  run.sh unet_step.py CHECKPOINT --sdref SDREF_DIR --threads N [--size 512] [--runs 3]

Loads CHECKPOINT (SD 1.x or SDXL) as sdref's models (UNet and VAE in fp32, CLIP weights rounded through fp16, as
ComfyUI on CPU), runs the same warm-up as the worker's boot (a one-step 64x64 render's model
calls: two text encodes, one batch-2 UNet forward on an 8x8 latent, a VAE decode and encode),
then times RUNS text encodes of the default workflow's positive prompt and RUNS UNet forwards of
batch 2 (negative + positive 77-token contexts, for SDXL with their adm vectors at SIZE, SIZE/8 latent, timestep 999), under no_grad with
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
    m = sdref.load_models(a.checkpoint)   # SD 1.x or SDXL, by the checkpoint's keys
    load_s = time.perf_counter() - t
    print(f"    reference: loaded in {load_s:.1f} s ({torch.get_num_threads()} torch threads, torch {torch.__version__}); warm-up ...",
          file=sys.stderr, flush=True)
    tok = sdref.SDTokenizer()
    sdxl = getattr(m, "family", "sd1") == "sdxl"
    # SDXL: the same text to CLIP-L and CLIP-G (which pads with 0), as CLIPTextEncode does.
    tok_g = sdref.SDTokenizer(tok.bpe, pad=0)

    def encode_with_pooled(text):
        if sdxl:
            tokens = {"l": tok.tokenize_with_weights(text), "g": tok_g.tokenize_with_weights(text)}
            return sdref.sdxl_clip_encode(m, tokens)
        return sdref.clip_encode(m, tok.tokenize_with_weights(text)), None

    def encode(text):
        return encode_with_pooled(text)[0]

    def adm(pooled, size):
        # comfy/model_base.py SDXL.encode_adm with sizes from the latent (plain CLIPTextEncode).
        return sdref.sdxl_encode_adm(m, {"pooled_output": pooled, "width": size, "height": size}) if sdxl else None

    def unet(x, t, context, y):
        return m.unet(x, t, context=context, y=y) if sdxl else m.unet(x, t, context=context)

    def timed(what, fn):
        seconds = []
        for i in range(a.runs):
            t = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - t)
            print(f"    reference: {what} run {i + 1}: {seconds[-1]:.2f} s", file=sys.stderr, flush=True)
        return seconds

    with torch.no_grad():
        (empty, empty_pooled), (warm, warm_pooled) = encode_with_pooled(""), encode_with_pooled("warm-up")
        warm_y = torch.cat([adm(empty_pooled, 64), adm(warm_pooled, 64)]) if sdxl else None
        unet(torch.zeros(2, 4, 8, 8), torch.full((2,), 999.0), torch.cat([empty, warm]), warm_y)
        image = m.vae.decode(torch.zeros(1, 4, 8, 8))
        m.vae.encode_mode(image)

        text = timed("text encode", lambda: encode(POSITIVE))
        (neg, neg_pooled), (pos, pos_pooled) = encode_with_pooled(NEGATIVE), encode_with_pooled(POSITIVE)
        context = torch.cat([neg, pos])
        y = torch.cat([adm(neg_pooled, a.size), adm(pos_pooled, a.size)]) if sdxl else None
        side = a.size // 8
        x = torch.randn(2, 4, side, side, generator=torch.Generator().manual_seed(0))
        timesteps = torch.full((2,), 999.0)
        unet = timed(f"UNet step {a.size}x{a.size} (batch 2)", lambda: unet(x, timesteps, context, y))

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
