# Generates tests/ComfySnap.Tests/Diffusion/Fixtures/tiny-parts.safetensors: inputs and outputs of
# the tiny checkpoint's UNet, VAE and CLIP as the reference computes them.
import os, sys; sys.path.insert(0, os.environ.get("SDREF_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 5, "shared", "sdref"))); import sdref, torch
from safetensors.torch import save_file
ckpt, out = sys.argv[1], sys.argv[2]
torch.set_num_threads(2)
m = sdref.SDModels(ckpt)
g = torch.Generator().manual_seed(1234)
x = torch.randn(2, 4, 8, 8, generator=g)
ctx = torch.randn(2, 77, 64, generator=g)
t = torch.tensor([999.0, 421.0])
z = torch.randn(1, 4, 8, 12, generator=g)
img = torch.rand(1, 3, 64, 96, generator=g) * 2 - 1
tok = sdref.SDTokenizer()
ids = torch.tensor([[t_ for t_, _ in tok.tokenize_with_weights("a red cat on a mat")[0]]])
with torch.no_grad():
    eps = m.unet(x, t, context=ctx)
    dec = m.vae.decode(z)
    enc = m.vae.encode_mode(img)
    tm = sdref.text_tower(m.clip)
    o = tm(input_ids=ids, output_hidden_states=True)
    last = o.last_hidden_state
    pen = tm.final_layer_norm(o.hidden_states[-2])
save_file({k: v.contiguous().float() if v.is_floating_point() else v.contiguous() for k, v in dict(
    unet_x=x, unet_t=t, unet_context=ctx, unet_eps=eps, vae_z=z, vae_decoded=dec, vae_pixels=img,
    vae_encoded=enc, clip_ids=ids, clip_last=last, clip_penultimate=pen).items()}, out)
print("ok", {k: tuple(v.shape) for k, v in [("eps", eps), ("dec", dec), ("enc", enc), ("last", last)]})
