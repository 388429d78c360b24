"""Which coordinate features draw a generator's periodic streaks? Renders 24 intervals of panorama
from a checkpoint as trained and with x coordinate frequencies zeroed (everywhere or from a block
resolution up), and prints the power at 1, 2, 4 and 8 cycles per anchor interval against the median
of the neighbouring frequencies (1 = no periodic pattern).

    python scripts/diagnose_streaks.py CHECKPOINT [PNG_PREFIX]
"""
import sys, numpy as np, torch
import alis_studio.trainer.model as M
from alis_studio.trainer.checkpoint import load_checkpoint, generator_from_checkpoint
from alis_studio.trainer.sample import render_panorama
torch.set_grad_enabled(False)
G = generator_from_checkpoint(load_checkpoint(sys.argv[1])).eval()
d = G.cfg.interval_width
orig = M.coordinate_features

def masked(drop_from_res, keep_freqs):
    def f(u, height, n_freqs, x_freqs=None):
        c = orig(u, height, n_freqs, x_freqs)
        nx = n_freqs if x_freqs is None else x_freqs
        if height >= drop_from_res:
            c = c.clone()
            for k in range(keep_freqs, nx):
                c[:, k] = 0; c[:, nx + k] = 0  # sin and cos of x frequency k
        return c
    return f

def periodic(img):
    g = img.astype(np.float64).mean(2)  # (H, W)
    W = g.shape[1]; spec = np.abs(np.fft.rfft(g - g.mean(1, keepdims=True), axis=1)) ** 2
    spec = spec.mean(0); out = {}
    for cyc in (1, 2, 4, 8):
        k = W * cyc // d
        out[cyc] = spec[k] / np.median(spec[k - 6:k + 7])
    return out

seeds = list(range(100, 124))
for name, fn in [("as trained", orig), ("no 8-cycle x feature at >=64 px", masked(64, 3)),
                 ("no 8-cycle x feature anywhere", masked(0, 3)), ("no 4,8-cycle x features anywhere", masked(0, 2))]:
    M.coordinate_features = fn
    img = render_panorama(G, seeds)
    p = periodic(img)
    print(f"{name:36s} " + "  ".join(f"{c} cyc/interval x{v:7.1f}" for c, v in p.items()), flush=True)
    if len(sys.argv) > 2:
        from PIL import Image; Image.fromarray(img[:, :1536]).save(f"{sys.argv[2]}-{name.replace(' ', '_')}.png")
