#!/usr/bin/env bash
# How the next default model (small128: 128 px, format 2) is made, and how to continue it. Run from
# the repository root with the `train` extra installed. Each stage resumes (stop any time with
# Ctrl-C; rerun to resume). A session's machine does not keep runs/, so the run so far is committed
# as a slim checkpoint in training/default-small128/ (`save` below) and continued from there.
#  1. seamless: the 64 px small64 model bundled until then (format 1, 111.9 kimg; commit 8b9515a)
#     fine-tuned in format 2 (padding-free tiles) on 30k procedural landscapes (on 5k its SWD
#     rose again after 20 kimg). (a) 14 kimg at lr 0.001 with --stationarity 0.5: the bumps it
#     inherits at the same place of every interval (a share 0.28 of the column detail repeats)
#     fall to 0.010;
#     (b) then at lr 0.0005 with G averaged over 5 kimg from the start: 64 px SWD x1e3 (seed 0)
#     33.9, 30.9, 27.4, 27.3, 29.6 at 8, 16, 24, 28, 32 kimg; at 28 kimg 25.25 over seeds 0-2
#     (the format-1 small64 it starts from: 24.6) with anchor seam 0.95. KIMG1B stops there.
#  2. taller: small128 grown from stage 1's 28 kimg snapshot (a slim one: its averaged G, not the
#     raw G of checkpoint.pt), layers matched by resolution, the new 128 px toRGB from zero: it
#     starts as stage 1's image upsampled. D trains alone for 2 kimg (its 128 px input layers are
#     new); G trains only its new 128 px block for the whole run (--g-top-only): letting all of G
#     train (59 kimg, 2026-12-04) blurred the scenes it inherited (SWD at 64 px 94.9). 2026-12-05:
#     64 px SWD 39.1 as grown (stage 1's 27.3, bilinearly upsampled: the eval's 64 px level of it
#     is blurred), then 39.1, 39.6, 37.7, 33.1, 32.9 at 8..40 kimg (seed 0): the new block learns
#     to sharpen what the upsampling blurred, slowly (it has 24 channels).
#     Then 31.4 / 29.7 / 30.1 at 64 / 88 / 100 kimg. That run (100 kimg, anchor seam 0.97, infinite/
#     single 1.07) is committed in training/default-small128/ (its config has the bilinear skip).
#  3. sharper: the 2x bilinear upsampling of the RGB skip into the 128 px block was the blur: the
#     same weights with a bicubic one score 25.8 instead of 30.8 (64 px SWD, 500 frames). small128
#     now upsamples that skip bicubically (bicubic_skip_from); stage 3 starts from stage 2's result
#     (training/default-small128 when runs/ has none) with it. A run made from scratch now grows
#     with the bicubic skip from the start (not what was measured).
#     Training only the top block more (60 kimg at lr 0.001, 2026-12-06) sharpened the 128 px level
#     (SWD 51 -> 38) but lost the 64 px one (27 -> 33-42). So all of G trains, at a 5x lower rate,
#     with D warm and G averaged over 3 kimg, a snapshot every 2 kimg. 2026-12-06 (eval --height 64,
#     500 images, validation seed 10; the bundled small64: 24.9; stage 2 with the bicubic skip: 27.0):
#     23.6, 23.3, 26.4, 31.9 at 2, 4, 6, 8 kimg, then 38.7, 36.9, 35.4 at 12, 16, 20 (the tree line
#     turns to regular vertical streaks). The 4 kimg snapshot over seeds 0-5: 24.60 (small64: 23.91),
#     128 px level 40.4-46.5 (stage 2: 52.8-59.4), anchor seam 0.92-0.96, infinite/single 0.94-1.08;
#     but 29.9-36.3 at the 64 px level of its own 128 px eval (seeds 0-2; stage 2 with the bicubic
#     skip: 25.8-28.2); the 2, 4 and 6 kimg snapshots averaged: 24.32 over seeds 0-5. Not shipped.
#     2026-12-06: a second discriminator judges the frames shrunk to 64 px (--d-half), started from
#     small64's D. At weight 1 it held G where it started (seed 10: shown at 64 px 26.9, 28.2, 28.1 at
#     2, 4, 6 kimg; 128 px level 55-58; a Lanczos or a tent reduction alike); at 0.3 (below) both
#     levels improve: shown at 64 px 24.99, 24.29, 24.21 at 2, 4, 6 kimg (validation seed 10). The
#     4 kimg snapshot, seeds 0-5: shown at 64 px mean 23.51 (small64 23.91); the 64 px level of its
#     own eval mean 25.50 (small64 shown 128 px tall, `eval --height 128`: 27.16); 128 px level 48.7-55.0.
#     Released as assets/default.alis (SNAP=runs/default-small128-sharp/snapshots/network-000004kimg-*).
#     KIMG3 defaults to that snapshot's 4 kimg.
# CPU: ~55-70 kimg/h for stage 1, ~45 for stage 2 (1.5-1.6 steps/s) and ~24 for stage 3 (0.8 steps/s: all of
# G trains) on 2 free cores (bf16 autocast).
#   scripts/train_default_model.sh            # data, then the stages (KIMG1, KIMG1B, KIMG2, KIMG3: their lengths)
#   scripts/train_default_model.sh save       # stage 3 so far into training/default-small128-sharp/ (commit it)
#   scripts/train_default_model.sh release    # eval, slim checkpoint, bundle, sample panorama into assets/ and docs/
#                                               (SNAP=a snapshot of the run: release that one, not the last)
set -euo pipefail
data="${DATA:-data/procedural256-30k}"
seamless="${RUN1:-runs/default-small64f2}"
averaged="${RUN1B:-runs/default-small64f2b}"
grown="${RUN2:-runs/default-small128}"
run="${RUN:-runs/default-small128-sharp}"
grown_saved=training/default-small128  # stage 2's result
saved=training/default-small128-sharp  # stage 3 so far (only where a session ended mid-run)
small64="${INIT:-runs/small64-111kimg.pt}"  # the format-1 small64 bundled until 2026-12 (stage 1's start, stage 3's half-size D)
common=(--dataset "$data" --shift-ramp 1 --snap 4 --metric-images 0 --resume --threads "${THREADS:-2}" --stationarity 0.5)

case "${1:-train}" in
train)
    [ -d "$data" ] || alis-studio dataset procedural --out "$data" --count 30000 --resolution 256 --seed 0
    if [ ! -f "$run/checkpoint.pt" ] && [ -f "$saved/checkpoint.pt" ]; then  # continue the committed run
        mkdir -p "$run" && cp "$saved/checkpoint.pt" "$saved/options.json" "$run/"
    fi
    kimg1b="${KIMG1B:-28}" kimg2="${KIMG2:-100}" kimg3="${KIMG3:-4}"
    if [ ! -f "$small64" ]; then
        mkdir -p "$(dirname "$small64")" && git show 8b9515a:assets/default-checkpoint.pt > "$small64"
    fi
    if [ ! -f "$run/checkpoint.pt" ] && [ ! -f "$grown/checkpoint.pt" ] && [ -f "$grown_saved/checkpoint.pt" ]; then
        from="$grown_saved/checkpoint.pt"  # stage 2 as committed
    else
        from="$grown/checkpoint.pt"
    fi
    if [ ! -f "$run/checkpoint.pt" ] && [ "$from" = "$grown/checkpoint.pt" ]; then
        if [ ! -f "$grown/checkpoint.pt" ]; then
            [ -f "$averaged/checkpoint.pt" ] || alis-studio train "${common[@]}" --out "$seamless" --config small64 \
                --init-from "$small64" --lr 0.001 --kimg "${KIMG1:-14}"
            alis-studio train "${common[@]}" --out "$averaged" --config small64 --init-from "$seamless/checkpoint.pt" \
                --lr 0.0005 --ema 5 --ema-rampup 0 --kimg "$kimg1b"
        fi
        # grow from stage 1b's last snapshot (slim: its averaged G); ignored when the run resumes
        grown_from=("$averaged"/snapshots/network-$(printf %06d "$kimg1b")kimg-*.pt)
        alis-studio train "${common[@]}" --out "$grown" --config small128 --init-from "${grown_from[0]}" \
            --lr 0.001 --d-warmup 2 --g-top-only "$kimg2" --ema 5 --ema-rampup 0 --kimg "$kimg2"
    fi
    # D is warm: no D warm-up; all of G trains, slowly; small64's D judges the frames at 64 px too
    exec alis-studio train "${common[@]}" --snap 2 --out "$run" --config small128 --init-from "$from" \
        --lr 0.0002 --d-warmup 0 --g-top-only 0 --ema 3 --ema-rampup 0 --kimg "$kimg3" \
        --d-half 0.3 --d-half-from "$small64"
    ;;
save)
    mkdir -p "$saved"
    alis-studio slim-checkpoint "$run/checkpoint.pt" "$saved/checkpoint.pt"
    cp "$run/options.json" "$saved/"
    ;;
release)
    ckpt="${SNAP:-$run/checkpoint.pt}"
    alis-studio export-onnx "$ckpt" "$run/release.alis"
    alis-studio eval --model "$run/release.alis" --dataset "$data" --images 500 --cache-dir "$run/evalcache" --quiet \
        | tee "$run/eval.txt"
    alis-studio export-onnx "$ckpt" assets/default.alis --metrics "$run/eval.txt"   # info shows them
    alis-studio slim-checkpoint "$ckpt" assets/default-checkpoint.pt
    alis-studio export --model assets/default.alis --seed 7 --intervals 8 --psi 0.7 --out docs/default-panorama.png \
        --overwrite
    ;;
*)
    echo "usage: $0 [train|save|release]" >&2
    exit 2
    ;;
esac
