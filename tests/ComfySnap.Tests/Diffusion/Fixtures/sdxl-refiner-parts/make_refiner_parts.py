#!/usr/bin/env python3
"""Writes the SDXL refiner parts fixture: a tiny random-weight refiner checkpoint in the real SDXL
refiner single-file layout (sdxl-refiner-tiny.safetensors) and test vectors computed from it with the
upstream modules (vectors.safetensors). sdref does not run the refiner; this script only uses its
module builders and make_checkpoint.py's init rules. See README.md beside it.

Runs in the sdref chroot (run.sh), as root, from the project root:
  SDREF_BIND=$PWD $SDREF_DIR/run.sh tests/ComfySnap.Tests/Diffusion/Fixtures/sdxl-refiner-parts/make_refiner_parts.py [OUT_DIR]
  ... make_refiner_parts.py --real-sizes     (parameter counts of the real refiner 1.0, nothing written)
"""
import argparse
import hashlib
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


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


SDREF_DIR = _sdref_dir()
sys.path.insert(0, SDREF_DIR)
import torch  # noqa: E402
import make_checkpoint  # noqa: E402
import sdref  # noqa: E402

SEED = 0
CLIP_G = "conditioner.embedders.0.model."   # the refiner's only text encoder (supported_models.SDXLRefiner)
ADM_EMBED_DIM = 256                           # model_base.SDXLRefiner: Timestep(256)

# The refiner's structure scaled down: 4 levels, no attention at level 0 and at the last level,
# transformer depth 1 at levels 1 and 2 and in the middle (the real one: 4), linear proj_in/out,
# 16-channel heads, context = CLIP-G width, adm = CLIP-G projection + 5*256. Channel multipliers are
# all 1 to keep the file small (the sdxl-tiny goldens cover changing widths).
G = dict(context_length=77, vocab_size=49408, width=16, heads=2, layers=3, mlp_ratio=4.0, output_dim=16)
UNET_CFG = dict(in_channels=4, out_channels=4, model_channels=32, channel_mult=(1, 1, 1, 1), num_res_blocks=2,
                attention_resolutions=[2, 4], transformer_depth=1, context_dim=G["width"], num_head_channels=16,
                num_heads=-1, num_classes="sequential", adm_in_channels=G["output_dim"] + 5 * ADM_EMBED_DIM,
                use_linear_in_transformer=True, use_checkpoint=False, spatial_transformer_attn_type="softmax")
VAE_CFG = dict(make_checkpoint.sdxl_configs("sdxl-tiny")[1])   # the sdxl-tiny VAE

# SDXL refiner 1.0 (generative-models configs/inference/sd_xl_refiner.yaml; ComfyUI
# comfy/supported_models.py SDXLRefiner: model_channels 384, context_dim 1280, adm_in_channels 2560,
# transformer_depth [0,0,4,4,4,4,0,0] per input res block)
REAL_UNET = dict(UNET_CFG, model_channels=384, channel_mult=(1, 2, 4, 4), transformer_depth=4, context_dim=1280,
                 num_head_channels=64, adm_in_channels=2560)
REAL_G = dict(G, width=1280, heads=20, layers=32, output_dim=1280)
REAL_VAE = dict(VAE_CFG, ch=128, ch_mult=(1, 2, 4, 4), num_res_blocks=2)

PROMPTS = ["a photograph of an astronaut riding a horse", ""]
# (height, width, crop_h, crop_w, aesthetic_score) per prompt, in encode_adm's order: the positive
# prompt with ComfyUI's positive default score 6.0, the negative (empty) one with 2.5
ADM_PARAMS = [(768.0, 1024.0, 32.0, 64.0, 6.0), (768.0, 1024.0, 32.0, 64.0, 2.5)]
T_UNET = [999.0, 421.0]


def modules(unet_cfg, g_cfg, vae_cfg, meta):
    """The three parts built from the upstream classes (sgm UNetModel and Encoder/Decoder, open_clip
    TextTransformer), with their key prefixes in the single-file layout."""
    unet = sdref.build_sdxl_unet(unet_cfg, meta=meta)
    g = sdref.build_openclip_text(g_cfg, meta=meta)
    if meta:
        with torch.device("meta"):
            vae = sdref.AutoencoderKL(vae_cfg, sdxl=True)
    else:
        vae = sdref._no_init(lambda: sdref.AutoencoderKL(vae_cfg, sdxl=True)).eval()
    return ((unet, sdref.UNET), (vae, sdref.VAE), (g, CLIP_G))


def count(mod):
    return sum(p.numel() for p in mod.parameters())


def real_sizes():
    parts = modules(REAL_UNET, REAL_G, REAL_VAE, meta=True)
    out = {pre: count(m) for m, pre in parts}
    out["total"] = sum(out.values())
    print(json.dumps(out))


def random_weights():
    """make_checkpoint.py's init: every tensor drawn in sorted key order from one generator seeded with
    SEED, as float32, scaled by its kind (param_kinds/init_tensor), then stored as float16 (as the real
    refiner file). Plus CLIP-G's logit_scale, which real files carry and ComfyUI ignores."""
    kinds, shapes = {}, {}
    for mod, pre in modules(UNET_CFG, G, VAE_CFG, meta=True):
        kinds.update(make_checkpoint.param_kinds(mod, pre))
        shapes.update({pre + k: tuple(t.shape) for k, t in mod.state_dict().items()})
    shapes = {k: s for k, s in shapes.items() if k in kinds}   # open_clip's attn_mask is not persistent
    assert set(shapes) == set(kinds), set(shapes) ^ set(kinds)
    g = torch.Generator().manual_seed(SEED)
    residual = make_checkpoint.RESIDUAL_OUT + make_checkpoint.SDXL_RESIDUAL_OUT
    tensors = {k: make_checkpoint.init_tensor(k, *kinds[k], shapes[k], g, residual).to(torch.float16).contiguous()
               for k in sorted(shapes)}
    tensors[CLIP_G + "logit_scale"] = torch.tensor(math.log(1 / 0.07), dtype=torch.float16)
    return tensors


def load(tensors):
    """The parts with the stored fp16 weights cast up exactly to float32: ComfyUI on CPU runs the UNet
    and VAE in float32 and CLIP-G with fp16 weights through manual_cast in float32."""
    parts = modules(UNET_CFG, G, VAE_CFG, meta=False)
    for mod, pre in parts:
        own = mod.state_dict()
        mod.load_state_dict({k: tensors[pre + k].float() for k in own if pre + k in tensors}, strict=False)
        missing = [k for k in own if pre + k not in tensors and k != "attn_mask"]
        assert not missing, missing
        mod.requires_grad_(False)
    return [m for m, _ in parts]


def concat_timestep_embedder_nd(x, outdim, timestep):
    """sgm/modules/encoders/modules.py ConcatTimestepEmbedderND: each column embedded on its own by
    Timestep(outdim) (cos half, then sin half) and the embeddings concatenated per row."""
    b, d = x.shape
    return timestep(x.reshape(b * d)).reshape(b, d * outdim)


def adm_vectors(pooled, timestep):
    """ComfyUI comfy/model_base.py SDXLRefiner.encode_adm: [pooled, e(height), e(width), e(crop_h),
    e(crop_w), e(aesthetic_score)], each e(v) = Timestep(256)(torch.Tensor([v])), computed per prompt."""
    rows = []
    for i, (h, w, ch, cw, score) in enumerate(ADM_PARAMS):
        emb = [timestep(torch.Tensor([v])) for v in (h, w, ch, cw, score)]
        flat = torch.flatten(torch.cat(emb)).unsqueeze(dim=0).repeat(pooled[i:i + 1].shape[0], 1)
        rows.append(torch.cat((pooled[i:i + 1], flat), dim=1))
    comfy = torch.cat(rows)
    # the same vector as sgm's refiner conditioner builds it (sd_xl_refiner.yaml embedders in order:
    # OpenCLIP pooled, ConcatTimestepEmbedderND(256) of original_size_as_tuple (h, w), of
    # crop_coords_top_left (top = crop_h, left = crop_w), of aesthetic_score; "vector" outputs
    # concatenated on dim 1 by GeneralConditioner)
    p = torch.tensor(ADM_PARAMS)
    sgm = torch.cat([pooled, concat_timestep_embedder_nd(p[:, 0:2], ADM_EMBED_DIM, timestep),
                     concat_timestep_embedder_nd(p[:, 2:4], ADM_EMBED_DIM, timestep),
                     concat_timestep_embedder_nd(p[:, 4:5], ADM_EMBED_DIM, timestep)], dim=1)
    assert torch.equal(comfy, sgm), (comfy - sgm).abs().max()
    return comfy


@torch.no_grad()
def vectors(tensors):
    unet, vae, g = load(tensors)
    tok = sdref.SDTokenizer(pad=0)   # comfy/sdxl_clip.py SDXLClipGTokenizer: pad_with_end=False -> pad 0
    ids = torch.tensor([[t for t, _ in tok.tokenize_with_weights(p)[0]] for p in PROMPTS], dtype=torch.long)
    L = G["layers"]
    # penultimate (comfy/sdxl_clip.py SDXLClipG: layer "penultimate" = hidden -2, layer_norm_hidden_state
    # False): the output of block L-2, no ln_final
    o = g.forward_intermediates(ids, indices=[L - 2, L - 1])
    penultimate, last = o["text_intermediates"]
    pooled = o["text_features"]   # ln_final(last)[argmax(ids)] @ text_projection
    # cross-check as sgm's FrozenOpenCLIPEmbedder2 computes them: penultimate = the input of the last
    # resblock; pooled = ln_final(last)[first EOS (49407, the largest id)] @ text_projection
    x, mask = g._embeds(ids)
    for blk in g.transformer.resblocks[:-1]:
        x = blk(x, attn_mask=mask)
    assert torch.equal(x, penultimate)
    last_normed = g.ln_final(g.transformer.resblocks[-1](x, attn_mask=mask))
    eos = (ids == 49407).int().argmax(dim=-1)
    assert torch.allclose(last_normed[torch.arange(len(ids)), eos] @ g.text_projection, pooled, atol=1e-6)
    timestep = sdref.third_party_sdxl()["openaimodel"].Timestep(ADM_EMBED_DIM)
    adm = adm_vectors(pooled, timestep)
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(2, 4, 8, 16, generator=gen)   # latent of a 128 wide x 64 high image, batch 2
    t = torch.tensor(T_UNET)
    eps = unet(x, t, context=penultimate, y=adm)
    out = dict(clip_g_ids=ids, clip_g_penultimate=penultimate, clip_g_last=last, clip_g_last_normed=last_normed,
               clip_g_pooled=pooled, adm_params=torch.tensor(ADM_PARAMS), adm=adm, unet_x=x, unet_t=t,
               unet_eps=eps)   # the UNet's context is clip_g_penultimate and its y is adm (stored once)
    return {k: (v.float() if v.is_floating_point() else v).contiguous() for k, v in out.items()}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", nargs="?", default=HERE)
    ap.add_argument("--real-sizes", action="store_true", help="parameter counts of the real refiner 1.0 layout")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.real_sizes:
        real_sizes()
        return
    from safetensors.torch import save_file
    from safetensors import safe_open
    tensors = random_weights()
    arch = {"unet": {"num_head_channels": UNET_CFG["num_head_channels"]}, "clip_g": {"num_heads": G["heads"]},
            "generator": {"script": "make_refiner_parts.py", "seed": SEED, "dtype": "fp16"}}
    ckpt = os.path.join(a.out_dir, "sdxl-refiner-tiny.safetensors")
    # ONE metadata key: several would be serialised in a random order and change the file's hash
    save_file(tensors, ckpt, metadata={"sdref.arch": json.dumps(arch, sort_keys=True)})
    with safe_open(ckpt, framework="pt", device="cpu") as f:   # the vectors come from the file as stored
        stored = {k: f.get_tensor(k) for k in f.keys()}
    vec = vectors(stored)
    vpath = os.path.join(a.out_dir, "vectors.safetensors")
    meta = {"prompts": PROMPTS, "adm_params_columns": ["height", "width", "crop_h", "crop_w", "aesthetic_score"],
            "unet_x_generator_seed": 1234, "torch": torch.__version__}
    save_file(vec, vpath, metadata={"sdref.vectors": json.dumps(meta, sort_keys=True)})
    params = {pre: sum(t.numel() for k, t in stored.items() if k.startswith(pre)) for pre in (sdref.UNET, sdref.VAE, CLIP_G)}
    print(json.dumps({"checkpoint": ckpt, "sha256": sha256(ckpt), "bytes": os.path.getsize(ckpt), "tensors": len(stored),
                      "params": params, "vectors": vpath, "vectors_sha256": sha256(vpath), "vectors_bytes": os.path.getsize(vpath),
                      "shapes": {k: list(v.shape) for k, v in vec.items()}}, indent=1))


if __name__ == "__main__":
    main()
