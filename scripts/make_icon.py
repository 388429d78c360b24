"""Draw the app icon with Pillow: assets/icon.png (512 px), icon.ico (16-256 px) and icon.icns.

A rounded square holding a dusk sky over three mountain ridges that run off both edges (a panorama
with no end), with a row of small anchor dots on the horizon. Deterministic: running it again gives
the same files. Usage: python scripts/make_icon.py [OUT_DIR]  (default: assets/)
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SIZE = 512
SS = 4  # supersampling factor for smooth edges


def _lerp(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def _ridge(n: int, base: float, amp: float, phase: float, freqs) -> list[tuple[float, float]]:
    """A closed polygon: a smooth ridge line y(x) = base - amp * sum(sin) and the bottom edge."""
    pts = []
    for i in range(n + 1):
        x = i / n
        y = base - amp * sum(a * math.sin(2 * math.pi * (f * x) + phase * (k + 1))
                             for k, (f, a) in enumerate(freqs))
        pts.append((x, y))
    return pts + [(1.0, 1.0), (0.0, 1.0)]


def draw(size: int = SIZE) -> Image.Image:
    s = size * SS
    img = Image.new("RGBA", (s, s))
    # sky: deep blue at the top to a warm glow at the horizon
    top, mid, low = (24, 32, 72), (92, 72, 140), (246, 164, 110)
    sky = Image.new("RGB", (1, s))
    for y in range(s):
        t = y / (s - 1)
        sky.putpixel((0, y), _lerp(top, mid, t / 0.4) if t < 0.4 else _lerp(mid, low, min(1.0, (t - 0.4) / 0.22)))
    img.paste(sky.resize((s, s)), (0, 0))
    d = ImageDraw.Draw(img)
    # sun, half behind the far ridge
    cx, cy, r = 0.66 * s, 0.54 * s, 0.09 * s
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 214, 150))
    # three ridges, far to near, lighter to darker
    ridges = [
        (0.60, 0.07, 0.4, [(1, 0.6), (2, 0.3), (5, 0.1)], (120, 92, 150)),
        (0.70, 0.08, 1.3, [(1, 0.5), (3, 0.35), (7, 0.08)], (66, 56, 110)),
        (0.82, 0.07, 2.1, [(2, 0.55), (3, 0.3), (9, 0.06)], (30, 30, 64)),
    ]
    for base, amp, phase, freqs, colour in ridges:
        d.polygon([(x * s, y * s) for x, y in _ridge(256, base, amp, phase, freqs)], fill=colour)
    # anchor dots: evenly spaced along the near foreground, the method's anchors on the pixel grid
    for i in range(5):
        x, y, rr = (0.18 + 0.16 * i) * s, 0.9 * s, 0.018 * s
        d.ellipse((x - rr, y - rr, x + rr, y + rr), fill=(246, 190, 120))
    # rounded-square mask with a soft inner margin
    mask = Image.new("L", (s, s), 0)
    m = round(0.04 * s)
    ImageDraw.Draw(mask).rounded_rectangle((m, m, s - m, s - m), radius=round(0.2 * s), fill=255)
    img.putalpha(ImageChops.multiply(mask, img.getchannel("A")))
    # a faint light rim
    rim = Image.new("L", (s, s), 0)
    ImageDraw.Draw(rim).rounded_rectangle((m, m, s - m, s - m), radius=round(0.2 * s),
                                          outline=40, width=max(1, round(0.008 * s)))
    rim = rim.filter(ImageFilter.GaussianBlur(SS))
    white = Image.new("RGBA", (s, s), (255, 255, 255, 0))
    white.putalpha(ImageChops.multiply(rim, mask))
    img = Image.alpha_composite(img, white)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "assets"
    out.mkdir(parents=True, exist_ok=True)
    icon = draw()
    icon.save(out / "icon.png", optimize=True)
    icon.save(out / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    icon.save(out / "icon.icns")
    for name in ("icon.png", "icon.ico", "icon.icns"):
        print(f"wrote {out / name} ({(out / name).stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
