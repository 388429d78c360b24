#!/usr/bin/env bash
# How the 128 px default model is made (and how to continue it). Run from the repository root with
# the `train` extra installed. Two stages, each resumable (stop any time with Ctrl-C; rerun to resume):
#  1. seamless: the 64 px small64 model bundled until then (format 1, 111.9 kimg; commit 8b9515a)
#     fine-tuned in format 2 (padding-free tiles). Rendered as format 2 without training it scored
#     SWD x1e3 46.1 at 64 px; after 4 kimg 31.9. Stationarity 25 keeps the streaks away.
#  2. taller: small128 grown from stage 1 (layers matched by resolution, the new 128 px toRGB from
#     zero: it starts as stage 1's image upsampled). D trains alone for 2 kimg (its 128 px input
#     layers are new), then G trains only its new 128 px block (--g-top-only), so the scenes and
#     the 64 px detail it inherits are not unlearned while the fresh layers are still noise (the
#     earlier recipe trained all of G at once and lost them: SWD at 64 px 43.8 as grown, 53-74
#     after 4 kimg); then all of G.
# CPU: ~70 kimg/h for stage 1 and ~40 for stage 2 on 2 free cores (bf16 autocast).
#   scripts/train_default_model.sh            # data, then both stages (KIMG1, KIMG2: their lengths)
#   scripts/train_default_model.sh release    # eval, slim checkpoint, bundle, sample panorama into assets/ and docs/
set -euo pipefail
data="${DATA:-data/procedural256}"
seamless="${RUN1:-runs/default-small64f2}"
run="${RUN:-runs/default-small128}"
common=(--dataset "$data" --shift-ramp 1 --snap 4 --metric-images 0 --resume --threads "${THREADS:-2}"
        --stationarity 25 --lr 0.001)

if [ "${1:-train}" = train ]; then
    [ -d "$data" ] || alis-studio dataset procedural --out "$data" --count 5000 --resolution 256 --seed 0
    init="${INIT:-runs/small64-111kimg.pt}"
    if [ ! -f "$seamless/checkpoint.pt" ] && [ ! -f "$init" ]; then
        mkdir -p "$(dirname "$init")" && git show 8b9515a:assets/default-checkpoint.pt > "$init"
    fi
    alis-studio train "${common[@]}" --out "$seamless" --config small64 --init-from "$init" --kimg "${KIMG1:-8}"
    exec alis-studio train "${common[@]}" --out "$run" --config small128 --init-from "$seamless/checkpoint.pt" \
        --d-warmup 2 --g-top-only 24 --kimg "${KIMG2:-200}"
fi

alis-studio eval --model "$run/model.alis" --dataset "$data" --images 500 --cache-dir "$run/evalcache" --quiet \
    | tee "$run/eval.txt"
alis-studio export-onnx "$run/checkpoint.pt" assets/default.alis --metrics "$run/eval.txt"   # info shows them
alis-studio slim-checkpoint "$run/checkpoint.pt" assets/default-checkpoint.pt
alis-studio export --model assets/default.alis --seed 7 --intervals 8 --psi 0.7 --out docs/default-panorama.png --overwrite
