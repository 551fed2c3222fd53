#!/bin/bash
# accelnas-train --gemm-cache-sizes: the sizes set are reported, the same sizes give the same weights
# (byte-identical checkpoints), other sizes other weights, and bad values are usage errors (exit 2).
# usage: blocking_tool.sh ACCELNAS_TRAIN SPEC OUT_DIR
set -euo pipefail
tool=$1 spec=$2 out=$3
mkdir -p "$out"
run() {  # run NAME SIZES: 4 steps on 256 images, checkpoint NAME.ckpt, JSON in NAME.json
    "$tool" --model "$spec" --epochs 1 --train-limit 256 --test-limit 100 --gemm-cache-sizes "$2" \
        --save "$out/$1.ckpt" --json > "$out/$1.json" 2> /dev/null
}
small=1024,65536,1048576 large=1048576,16777216,1073741824
run a "$small"; run b "$large"; run c "$small"
grep -q '"gemm_cache_sizes":\[1024,65536,1048576\]' "$out/a.json" || { echo "a.json does not report the sizes set"; cat "$out/a.json"; exit 1; }
cmp -s "$out/a.ckpt" "$out/c.ckpt" || { echo "the same cache sizes gave different weights"; exit 1; }
if cmp -s "$out/a.ckpt" "$out/b.ckpt"; then echo "other cache sizes gave the same weights"; exit 1; fi
"$tool" --model "$spec" --epochs 1 --train-limit 256 --test-limit 100 --json > "$out/cpu.json" 2> /dev/null
grep -q '"gemm_cache_sizes":\[[0-9]*,[0-9]*,[0-9]*\]' "$out/cpu.json" || { echo "the CPU's sizes are not reported"; exit 1; }
for bad in 32768,1048576 512,1048576,33554432 1048576,32768,33554432 x,y,z; do
    set +e; "$tool" --model "$spec" --gemm-cache-sizes "$bad" > /dev/null 2> "$out/err.txt"; rc=$?; set -e
    [ $rc -eq 2 ] || { echo "--gemm-cache-sizes $bad: exit $rc, not 2"; exit 1; }
    grep -q -- "--gemm-cache-sizes" "$out/err.txt" || { echo "--gemm-cache-sizes $bad: the message does not name the option"; exit 1; }
done
echo "blocking_tool: same sizes, same weights; other sizes, other weights; bad values are usage errors"
