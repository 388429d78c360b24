"""The packaged app: folder size and start-up time to the first rendered view, binary vs source tree.

    python benchmarks/bench_startup.py [--binary dist/alis-studio/alis-studio] [--repeat 5] [--no-source]

Start-up: process start until the app's `gui --smoke-test` prints `smoke test ok` (main window open,
model loaded, the first full view rendered and painted), offscreen (QT_QPA_PLATFORM=offscreen) and with
a throw-away settings folder. The first run shows a colder file cache; the median is over all runs.
Also `--version` (bootloader + interpreter start). The model is the bundled one (binary) and
assets/default.alis (source tree), so their times compare only when those are the same file.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = ROOT / "dist" / "alis-studio" / ("alis-studio.exe" if os.name == "nt" else "alis-studio")


def folder_size(path: Path) -> tuple[int, int]:
    """Bytes and files under `path` (links not followed)."""
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            p = Path(dirpath) / n
            if not p.is_symlink():
                total += p.stat().st_size
                files += 1
    return total, files


def biggest(path: Path, n: int = 8) -> list[tuple[str, int]]:
    inner = path / "_internal" if (path / "_internal").is_dir() else path
    sizes = []
    for entry in inner.iterdir():
        if entry.is_symlink():  # PyInstaller links some libraries to the top; count the real file once
            continue
        size = folder_size(entry)[0] if entry.is_dir() else entry.stat().st_size
        sizes.append((entry.name, size))
    return sorted(sizes, key=lambda t: -t[1])[:n]


def time_to_line(cmd: list[str], marker: str, env: dict, timeout: float = 300.0) -> tuple[float, float]:
    """Seconds from process start until a stdout line contains `marker`, and until the process exits."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=ROOT)
    t_line = None
    for line in proc.stdout:  # the line is printed (and flushed at exit) once the view is painted
        if marker in line and t_line is None:
            t_line = time.perf_counter() - t0
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit(f"bench_startup: {' '.join(cmd)} timed out after {timeout:.0f} s") from None
    t_exit = time.perf_counter() - t0
    if rc != 0 or t_line is None:
        err = proc.stderr.read().strip().splitlines()
        raise SystemExit(f"bench_startup: {' '.join(cmd)} failed (exit {rc}): {err[-1] if err else 'no output'}")
    return t_line, t_exit


def measure(label: str, base_cmd: list[str], repeat: int, env: dict) -> dict:
    version = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(base_cmd + ["--version"], check=True, capture_output=True, env=env, cwd=ROOT)
        version.append(time.perf_counter() - t0)
    view, total = [], []
    for _ in range(repeat):
        t_line, t_exit = time_to_line(base_cmd + ["gui", "--smoke-test"], "smoke test ok", env)
        view.append(t_line)
        total.append(t_exit)
    return {"label": label, "version_s": statistics.median(version), "first_view_first_run_s": view[0],
            "first_view_median_s": statistics.median(view), "first_view_min_s": min(view),
            "process_median_s": statistics.median(total)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", type=Path, default=DEFAULT_BINARY, help="the built executable")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each measurement (default 5)")
    ap.add_argument("--no-source", action="store_true", help="do not measure the source tree for comparison")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = ap.parse_args()

    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"bench_startup: {binary}: no such file; build it first (pyinstaller alis-studio.spec)",
              file=sys.stderr)
        return 2
    folder = binary.parent
    size, files = folder_size(folder)
    print(f"folder {folder}: {size / 1e6:.0f} MB ({size / 2 ** 20:.0f} MiB) in {files} files")
    print("largest: " + ", ".join(f"{name} {s / 1e6:.1f} MB" for name, s in biggest(folder)))

    results = {"folder": str(folder), "bytes": size, "files": files, "runs": []}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": home, "XDG_CONFIG_HOME": home,
               "APPDATA": home, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        runs = [("binary", [str(binary)])]
        if not args.no_source:
            runs.append(("source", [sys.executable, "-m", "alis_studio"]))
        for label, cmd in runs:
            r = measure(label, cmd, args.repeat, env)
            results["runs"].append(r)
            print(f"{label:>6}: --version {r['version_s']:.2f} s; start to first rendered view "
                  f"{r['first_view_median_s']:.2f} s median (first run {r['first_view_first_run_s']:.2f} s, "
                  f"best {r['first_view_min_s']:.2f} s, n={args.repeat}); whole smoke-test process "
                  f"{r['process_median_s']:.2f} s")
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
