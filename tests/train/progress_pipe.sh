#!/usr/bin/env bash
# accelnas-train with stderr into a pipe: plain progress lines (one per tenth of an epoch, here one per
# step of 10), a complete line per epoch, never a carriage return.
# Usage: progress_pipe.sh <accelnas-train> <model.json>   (Fashion-MNIST from the tool's default folder)
set -euo pipefail
tool=$1 model=$2
err=$("$tool" --model "$model" --epochs 2 --train-limit 640 --test-limit 64 2>&1 >/dev/null)
if grep -q $'\r' <<<"$err"; then echo "carriage return in piped progress:"; cat -A <<<"$err"; exit 1; fi
for e in 1 2; do
  n=$(grep -c "^epoch $e [0-9]*/10 " <<<"$err" || true)
  if [[ $n -ne 10 ]]; then echo "expected 10 progress lines for epoch $e (10 steps), got $n:"; echo "$err"; exit 1; fi
  grep -q "^epoch $e 10/10 100% " <<<"$err"
done
echo "ok: plain progress lines for 2 epochs"
