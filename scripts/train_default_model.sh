#!/usr/bin/env bash
# How the 128 px default model is made (and how to continue it); it replaces assets/default.alis
# (still the 64 px small64 model, see assets/MODEL_CARD.md) once it beats it. Run from the repository
# root with the `train` extra installed. It (config small128, format 2) is grown from the 64 px
# model bundled today (small64, format 1, 111.9 kimg; commit 8b9515a): its layers at 4..64 px
# carry over and the 128 px layers start at zero. The first 32 kimg train without the
# stationarity penalty (the run was that far before it existed, and had drawn streaks by then), the
# rest with it: 250 until they were gone, then 100. CPU: ~45 kimg per hour on 2 free cores with AMX bf16 (~40 with the penalty).
#   scripts/train_default_model.sh            # data, then train (stop any time with Ctrl-C; rerun to resume)
#   scripts/train_default_model.sh release    # eval, slim checkpoint, bundle, sample panorama into assets/ and docs/
set -euo pipefail
data="${DATA:-data/procedural256}"
run="${RUN:-runs/default-small128}"

if [ "${1:-train}" = train ]; then
    [ -d "$data" ] || alis-studio dataset procedural --out "$data" --count 5000 --resolution 256 --seed 0
    init="${INIT:-runs/small64-111kimg.pt}"
    if [ ! -f "$run/checkpoint.pt" ] && [ ! -f "$init" ]; then
        mkdir -p "$(dirname "$init")" && git show 8b9515a:assets/default-checkpoint.pt > "$init"
    fi
    common=(--dataset "$data" --out "$run" --config small128 --init-from "$init" --shift-ramp 1 --snap 4
            --metric-images 0 --resume --threads "${THREADS:-2}")
    # each stage returns at once when the run is already past it
    alis-studio train "${common[@]}" --kimg 32
    alis-studio train "${common[@]}" --kimg 40.52 --stationarity 250  # removed the streaks in 4 kimg
    exec alis-studio train "${common[@]}" --kimg "${KIMG:-200}" --stationarity 100  # less gradient noise
fi

alis-studio eval --model "$run/model.alis" --dataset "$data" --images 500 --cache-dir "$run/evalcache" --quiet \
    | tee "$run/eval.txt"
alis-studio export-onnx "$run/checkpoint.pt" assets/default.alis --metrics "$run/eval.txt"   # info shows them
alis-studio slim-checkpoint "$run/checkpoint.pt" assets/default-checkpoint.pt
alis-studio export --model assets/default.alis --seed 7 --intervals 8 --psi 0.7 --out docs/default-panorama.png --overwrite
