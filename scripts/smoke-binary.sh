#!/usr/bin/env bash
# Smoke test of the PyInstaller binary (alis-studio.spec): build it, then check what a user would run.
#
#   bash scripts/smoke-binary.sh                                    # build dist/alis-studio/, check it
#   ALIS_BINARY_DIR=dist/alis-studio bash scripts/smoke-binary.sh   # check an existing build, no build
#
# Run it with the venv of .ci/run (or any venv with `pip install -e .`) active: the source tree's
# renders are the reference the binary's must equal pixel for pixel; PyInstaller is pip-installed into
# that venv when missing. The build needs the bundled model assets/default.alis.
# Other variables: ALIS_BINARY_CUDA=1 (build and accept the CUDA provider libraries), PYTHON (the
# interpreter, default: python of the active venv), ALIS_SMOKE_KEEP=1 (keep the work folder).
# Exit status: 0 when every check passed, 1 when one failed, 2 when the build could not be made.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$(command -v python || command -v python3)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/alis-smoke.XXXXXX")
if [ "${ALIS_SMOKE_KEEP:-0}" = 1 ]; then echo "work folder: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
FAILED=()
say() { printf '%s\n' "$*"; }
ok() { say "  ok    $*"; }
fail() { say "  FAIL  $*"; FAILED+=("$1"); }
# a time limit on each run of the binary, where coreutils' timeout exists
if command -v timeout >/dev/null; then LIMIT=(timeout 300); else LIMIT=(); fi

say "== alis-studio binary smoke test ($(uname -s), $("$PY" --version 2>&1))"
if ! "$PY" -c "import alis_studio" 2>/dev/null; then
    say "smoke-binary: $PY cannot import alis_studio: activate the project's venv (pip install -e .)"; exit 2
fi

# ---- build (or reuse) -----------------------------------------------------------------------------
if [ -n "${ALIS_BINARY_DIR:-}" ]; then
    DIST=$(cd "$ALIS_BINARY_DIR" 2>/dev/null && pwd) || { say "smoke-binary: ALIS_BINARY_DIR=$ALIS_BINARY_DIR: no such folder"; exit 2; }
    say "reusing the build in $DIST"
else
    if [ ! -f assets/default.alis ]; then
        say "smoke-binary: assets/default.alis is missing: the binary ships the bundled model (see alis-studio.spec)"; exit 2
    fi
    if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
        say "installing PyInstaller into $(dirname "$(dirname "$PY")")"
        "$PY" -m pip install --quiet 'pyinstaller>=6.5' || { say "smoke-binary: pip install pyinstaller failed"; exit 2; }
    fi
    say "building with PyInstaller $("$PY" -m PyInstaller --version) (takes a few minutes) ..."
    t0=$SECONDS
    if ! nice -n 10 "$PY" -m PyInstaller --noconfirm --log-level WARN alis-studio.spec >"$WORK/build.log" 2>&1; then
        tail -n 30 "$WORK/build.log"; say "smoke-binary: the build failed (log above)"; exit 2
    fi
    grep '^alis-studio.spec:' "$WORK/build.log" | sed 's/^/  /'
    DIST=$ROOT/dist/alis-studio
    say "built $DIST in $((SECONDS - t0)) s"
fi
# on Windows the console twin (alis-studio.exe is windowed: no stdout to check)
case "$(uname -s)" in
    MINGW*|MSYS*|CYGWIN*) BIN=$DIST/alis-studio-cli.exe ;;
    *) BIN=$DIST/alis-studio ;;
esac
INTERNAL=$DIST/_internal
[ -d "$INTERNAL" ] || INTERNAL=$DIST
if [ ! -x "$BIN" ]; then say "smoke-binary: $BIN: no executable there"; exit 2; fi
say "folder: $(du -sh "$DIST" | cut -f1) ($DIST)"

# run the binary (or the source tree: SRC) with a throw-away settings folder and no display
run_isolated() { env -u DISPLAY -u WAYLAND_DISPLAY HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" \
                     APPDATA="$WORK/home" QT_QPA_PLATFORM=offscreen "${LIMIT[@]}" "$@"; }
SRC=("$PY" -m alis_studio)
mkdir -p "$WORK/home"

# one-line error: exit 2, stderr's last line is `alis-studio: error: ...`, and no traceback
expect_error() {  # name, command...
    local name=$1; shift
    run_isolated "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?
    if [ $rc -eq 2 ] && tail -n 1 "$WORK/err" | grep -q '^alis-studio: error: ' && ! grep -q Traceback "$WORK/err"; then
        ok "$name: $(tail -n 1 "$WORK/err")"
    else
        fail "$name" "(exit $rc): $(tail -n 3 "$WORK/err" | tr '\n' ' ')"
    fi
}

# ---- 1. contents ----------------------------------------------------------------------------------
say "-- contents"
if cmp -s "$INTERNAL/alis_studio/assets/default.alis" assets/default.alis; then ok "bundled model = assets/default.alis"
else fail "bundled model" "(missing, or not the same file as assets/default.alis)"; fi
[ -f "$INTERNAL/alis_studio/assets/icon.png" ] && ok "icon" || fail "icon" "(assets/icon.png not in the build)"
[ -d "$INTERNAL/qdarkstyle" ] && ok "qdarkstyle theme" || fail "qdarkstyle" "(not in the build)"
if ls "$INTERNAL"/onnxruntime/capi/onnxruntime_pybind11_state* >/dev/null 2>&1; then ok "ONNX Runtime library"
else fail "onnxruntime" "(its shared library is not in the build)"; fi
if [ "$(uname -s)" = Linux ]; then
    for p in offscreen xcb wayland; do
        [ -f "$INTERNAL/PySide6/Qt/plugins/platforms/libq$p.so" ] && ok "Qt platform plugin $p" || fail "Qt $p" "(platform plugin missing)"
    done
fi
# what must stay out: the trainer, torch and its kind, test files (folder and the embedded archive)
BAD=$(cd "$INTERNAL" && find . \( -iname 'torch*' -o -iname 'trainer' -o -iname 'tests' -o -iname 'testing' \
        -o -iname 'test_*.py' -o -iname '*_test.py' -o -iname 'conftest.py' -o -iname 'pytest*' -o -iname '_pytest' \
        -o -name 'onnx' -o -iname 'onnxscript' -o -iname 'sympy' -o -iname 'PyQt*' \) -print | head -n 10)
[ -z "$BAD" ] && ok "no torch / trainer / test files in the folder" || fail "folder contents" "(found: $(echo $BAD))"
DANGLING=$(find -L "$DIST" -type l -print | head -n 5)
[ -z "$DANGLING" ] && ok "no dangling links" || fail "links" "(dangling: $(echo $DANGLING))"
if [ "${ALIS_BINARY_CUDA:-0}" != 1 ]; then
    GPU=$(cd "$INTERNAL" && find . \( -iname '*onnxruntime_providers_cuda*' -o -iname '*onnxruntime_providers_tensorrt*' \
            -o -iname '*cudnn*' -o -iname '*cublas*' \) -print | head -n 5)
    [ -z "$GPU" ] && ok "CPU provider only (no CUDA libraries)" || fail "GPU libraries" "(found: $(echo $GPU); set ALIS_BINARY_CUDA=1 if wanted)"
fi
if "$PY" -m PyInstaller --version >/dev/null 2>&1; then
    "$PY" -m PyInstaller.utils.cliutils.archive_viewer -r -b "$BIN" >"$WORK/pyz.txt" 2>&1
    MODS=$(grep -E '^ *(torch|trainer|alis_studio\.trainer|tests|pytest|_pytest|onnx|onnxscript|sympy|PyQt5|PyQt6|PySide2)(\.|$)' "$WORK/pyz.txt" | head -n 5)
    if [ -z "$MODS" ] && grep -q 'alis_studio.gui.app' "$WORK/pyz.txt"; then ok "embedded modules: the app, no trainer / torch / tests"
    else fail "embedded modules" "(found: $(echo $MODS); or alis_studio.gui missing)"; fi
fi

# ---- 2. command line ------------------------------------------------------------------------------
say "-- command line"
WANT="alis-studio $("$PY" -c 'import alis_studio; print(alis_studio.__version__)')"
GOT=$(run_isolated "$BIN" --version 2>&1)
[ "$GOT" = "$WANT" ] && ok "--version: $GOT" || fail "--version" "(got '$GOT', expected '$WANT')"
run_isolated "$BIN" --help >"$WORK/help" 2>&1
CMDS=$(grep -oE '^    [a-z][a-z-]*' "$WORK/help" | tr -d ' ' | sort | tr '\n' ' ')
if [[ " $CMDS" == *" export "* && " $CMDS" == *" gui "* && " $CMDS" == *" render "* && " $CMDS" == *" info "* \
      && " $CMDS" == *" eval "* ]] && ! [[ " $CMDS" =~ \ (train|dataset|export-onnx|slim-checkpoint)\  ]]
then ok "--help: commands $CMDS(eval, no trainer commands)"
else fail "--help" "(commands: $CMDS)"; fi
# no GPU: CUDA hidden, the app runs on the CPU provider (a CPU-only build always does)
if run_isolated env CUDA_VISIBLE_DEVICES= "$BIN" info >"$WORK/info" 2>"$WORK/err" && grep -q 'using: CPUExecutionProvider' "$WORK/info"
then ok "info without a GPU: $(grep 'using:' "$WORK/info" | sed 's/^ *//')"
else fail "info (no GPU)" "$(cat "$WORK/info" "$WORK/err" | tail -n 3 | tr '\n' ' ')"; fi
# --device cuda: works where CUDA does, else one line
run_isolated "$BIN" render --device cuda --intervals 1 --quiet --out "$WORK/cuda.png" >"$WORK/out" 2>"$WORK/err"; rc=$?
if [ $rc -eq 0 ]; then ok "render --device cuda: ran on CUDA"
elif [ $rc -eq 2 ] && [ "$(grep -c . "$WORK/err")" -eq 1 ] && grep -q '^alis-studio: error: ' "$WORK/err"; then ok "render --device cuda without CUDA: $(cat "$WORK/err")"
else fail "render --device cuda" "(exit $rc): $(tail -n 3 "$WORK/err" | tr '\n' ' ')"; fi

# ---- 3. render and export: the binary's pixels = the source tree's --------------------------------
say "-- render / export vs the source tree"
RENDER=(render --seed 3 --start -2 --intervals 6 --psi 0.7 --quiet)
run_isolated "$BIN" "${RENDER[@]}" --out "$WORK/bin.png" 2>"$WORK/err" || fail "render (binary)" "$(tail -n 3 "$WORK/err" | tr '\n' ' ')"
run_isolated "${SRC[@]}" "${RENDER[@]}" --out "$WORK/src.png" 2>"$WORK/err" || fail "render (source)" "$(tail -n 3 "$WORK/err" | tr '\n' ' ')"
EXPORTS=()
for c in deflate zstd jpeg; do
    EX=(export --seed 5 --intervals 3 --compression "$c" --quiet)
    run_isolated "$BIN" "${EX[@]}" --out "$WORK/bin-$c.tif" 2>"$WORK/err" || fail "export $c (binary)" "$(tail -n 3 "$WORK/err" | tr '\n' ' ')"
    run_isolated "${SRC[@]}" "${EX[@]}" --out "$WORK/src-$c.tif" 2>"$WORK/err" || fail "export $c (source)" "$(tail -n 3 "$WORK/err" | tr '\n' ' ')"
    EXPORTS+=("$c")
done
"$PY" - "$WORK" "${EXPORTS[@]}" >"$WORK/cmp" 2>&1 <<'EOF'
import sys
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

work, bad = Path(sys.argv[1]), 0
pairs = [("render PNG", "bin.png", "src.png")] + [(f"export TIFF {c}", f"bin-{c}.tif", f"src-{c}.tif") for c in sys.argv[2:]]
for name, b, s in pairs:
    try:
        if b.endswith(".png"):
            x, y = (np.asarray(Image.open(work / f).convert("RGB")) for f in (b, s))
        else:
            x, y = (tifffile.imread(work / f) for f in (b, s))
    except Exception as e:
        print(f"FAIL {name}: cannot read ({e})")
        bad += 1
        continue
    if x.shape == y.shape and np.array_equal(x, y):
        print(f"ok {name}: {x.shape[1]} x {x.shape[0]} px, identical pixels")
    else:
        diff = np.abs(x.astype(int) - y.astype(int)).max() if x.shape == y.shape else "shape"
        print(f"FAIL {name}: binary {x.shape} vs source {y.shape}, max difference {diff}")
        bad += 1
sys.exit(1 if bad else 0)
EOF
while read -r status rest; do
    if [ "$status" = ok ]; then ok "$rest"; else fail "${rest%%:*}" "${rest#*:}"; fi
done <"$WORK/cmp"

# ---- 4. bad model files: one line, exit 2, no traceback --------------------------------------------
say "-- bad model files"
echo "not a model" >"$WORK/garbage.alis"
"$PY" - "$WORK" "$INTERNAL/alis_studio/assets/default.alis" <<'EOF'
import json
import sys
import zipfile
from pathlib import Path

work, good = Path(sys.argv[1]), sys.argv[2]
with zipfile.ZipFile(work / "incomplete.alis", "w") as z:
    z.writestr("model.json", "{}")
with zipfile.ZipFile(good) as src:
    members = {n: src.read(n) for n in src.namelist()}
for name, change in (("corrupt-onnx.alis", {"synthesis.onnx": b"\x08\x07garbage"}),
                     ("newer.alis", {"model.json": json.dumps({**json.loads(members["model.json"]), "version": 99})})):
    with zipfile.ZipFile(work / name, "w", zipfile.ZIP_STORED) as z:
        for n, data in {**members, **change}.items():
            z.writestr(n, data)
EOF
for m in garbage incomplete corrupt-onnx newer; do
    expect_error "render $m.alis" "$BIN" render --model "$WORK/$m.alis" --quiet --out "$WORK/x-$m.png"
done
expect_error "render missing.alis" "$BIN" render --model "$WORK/missing.alis" --quiet --out "$WORK/x.png"
for m in garbage corrupt-onnx; do
    expect_error "gui $m.alis --smoke-test" "$BIN" gui "$WORK/$m.alis" --smoke-test
done

# ---- 5. the GUI, offscreen (and under Xvfb when it is there) ----------------------------------------
say "-- GUI"
if run_isolated "$BIN" gui --smoke-test >"$WORK/out" 2>"$WORK/err" && grep -q 'smoke test ok' "$WORK/out"
then ok "gui --smoke-test (offscreen): $(grep 'smoke test ok' "$WORK/out")"
else fail "gui --smoke-test" "$(tail -n 3 "$WORK/out" "$WORK/err" | tr '\n' ' ')"; fi
# no arguments (a double-click): the app opens on the bundled model and stays open until closed
env -u DISPLAY -u WAYLAND_DISPLAY HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" APPDATA="$WORK/home" \
    QT_QPA_PLATFORM=offscreen "${LIMIT[@]}" "$BIN" >"$WORK/out" 2>"$WORK/err" &
pid=$!
for _ in $(seq 1 20); do sleep 0.5; kill -0 "$pid" 2>/dev/null || break; done
if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"; wait "$pid" 2>/dev/null
    ok "no arguments: the app opens (still running after 10 s, then closed)"
else
    wait "$pid"; rc=$?
    fail "no-arguments" "(the app exited at once, status $rc): $(grep -v propagateSizeHints "$WORK/err" | tail -n 2 | tr '\n' ' ')"
fi
if command -v xvfb-run >/dev/null && [ "$(uname -s)" = Linux ]; then
    if env -u QT_QPA_PLATFORM HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" "${LIMIT[@]}" \
           xvfb-run -a -s "-screen 0 1600x900x24" "$BIN" gui --smoke-test >"$WORK/out" 2>"$WORK/err" \
           && grep -q 'smoke test ok' "$WORK/out"
    then ok "gui --smoke-test (xcb, Xvfb): $(grep 'smoke test ok' "$WORK/out")"
    else fail "gui under Xvfb" "$(tail -n 3 "$WORK/out" "$WORK/err" | tr '\n' ' ')"; fi
else
    say "  skip  gui under Xvfb (no xvfb-run)"
fi

# ---- 6. size and start-up time ---------------------------------------------------------------------
say "-- size and start-up"
"$PY" benchmarks/bench_startup.py --binary "$BIN" --repeat 3 --no-source 2>&1 | sed 's/^/  /' || fail "bench_startup" ""

if [ ${#FAILED[@]} -eq 0 ]; then
    say "== binary smoke test passed"
    exit 0
fi
say "== binary smoke test FAILED: ${FAILED[*]}"
exit 1
