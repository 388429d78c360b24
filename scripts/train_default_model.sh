#!/usr/bin/env bash
# How assets/default.alis was made (and how to continue it). Run from the repository root with the
# `train` extra installed. CPU: about 30 kimg per hour on 2 free cores; a GPU is far faster.
#   scripts/train_default_model.sh            # data, then train (stop any time with Ctrl-C; rerun to resume)
#   scripts/train_default_model.sh release    # eval, slim checkpoint, bundle, sample panorama into assets/ and docs/
set -euo pipefail
data="${DATA:-data/procedural256}"
run="${RUN:-runs/default-small64}"

if [ "${1:-train}" = train ]; then
    [ -d "$data" ] || alis-studio dataset procedural --out "$data" --count 5000 --resolution 256 --seed 0
    if [ ! -f "$run/checkpoint.pt" ] && [ -f assets/default-checkpoint.pt ]; then
        mkdir -p "$run" && cp assets/default-checkpoint.pt "$run/checkpoint.pt"   # continue the bundled model
    fi
    exec alis-studio train --dataset "$data" --out "$run" --config small64 --kimg "${KIMG:-150}" \
        --shift-ramp 8 --snap 4 --metric-images 0 --resume --threads "${THREADS:-2}"
fi

alis-studio eval --model "$run/model.alis" --dataset "$data" --images 500 --cache-dir "$run/evalcache" \
    | tee "$run/eval.txt"
alis-studio slim-checkpoint "$run/checkpoint.pt" assets/default-checkpoint.pt
cp "$run/model.alis" assets/default.alis
alis-studio export --model assets/default.alis --seed 7 --intervals 8 --height-scale 2 --psi 0.7 --out docs/default-panorama.png --overwrite
