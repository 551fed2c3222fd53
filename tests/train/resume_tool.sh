#!/usr/bin/env bash
# accelnas-train --resume: a run stopped after epoch 1 and resumed ends with byte-identical weights to
# the uninterrupted 3-epoch run; --load CKPT --eval-only reports the accuracy of those weights.
# Usage: resume_tool.sh <accelnas-train> <model.json>   (Fashion-MNIST from the tool's default folder)
set -euo pipefail
tool=$1 model=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
args=(--model "$model" --epochs 3 --train-limit 256 --test-limit 64 --threads 2 --shift 2)
"$tool" "${args[@]}" --json --save "$dir/full.ckpt" >"$dir/full.json" 2>/dev/null
"$tool" "${args[@]}" --json --stop-after 1 --checkpoint "$dir/part.ckpt" >/dev/null 2>&1
"$tool" "${args[@]}" --json --resume "$dir/part.ckpt" --save "$dir/resumed.ckpt" >"$dir/resumed.json" 2>/dev/null
cmp "$dir/full.ckpt" "$dir/resumed.ckpt"
if cmp -s "$dir/part.ckpt" "$dir/full.ckpt"; then echo "the epoch-1 checkpoint equals the final weights"; exit 1; fi
full_acc=$(grep -o '"test_acc":[0-9.e-]*' "$dir/full.json")
eval_acc=$("$tool" "${args[@]}" --json --load "$dir/resumed.ckpt" --eval-only 2>/dev/null | grep -o '"test_acc":[0-9.e-]*')
if [[ "$full_acc" != "$eval_acc" ]]; then echo "eval-only $eval_acc differs from the run's $full_acc"; exit 1; fi
# Another run's settings are refused.
if "$tool" "${args[@]}" --lr 0.2 --resume "$dir/part.ckpt" >"$dir/out" 2>&1; then echo "resume with another lr accepted"; exit 1; fi
grep -q "of another run" "$dir/out"
echo "ok: resumed weights are byte-identical; eval-only $eval_acc"
