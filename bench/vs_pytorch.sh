#!/bin/sh
# Training throughput of accelnas vs PyTorch on the same model, side by side in one run.
#
#   bench/vs_pytorch.sh [BUILD_DIR] [THREADS...]      (defaults: build, 1 2)
#
# Both sides train the peer model of ../shared/peers/torch_train_bench.py (spec:
# examples/specs/peer_mbconv.json, run with --channels 3 as the peer's throughput mode does) on random
# 32x32x3 data, batch 64, softmax cross-entropy + backward + SGD momentum 0.9, one fresh process per
# thread count. accelnas: accelnas-train --throughput 200 (200 timed steps after 5 warm-up steps);
# PyTorch: the peer's --child mode (median of 5 x 30 steps after 10 warm-up steps; the child also
# times inference, which only adds to its RSS). Peak RSS is GNU time's maximum resident set size of
# each process. The machine may be shared: run it twice and look at the load average printed first.
# Prints, last, one line per thread count:
#   threads=T accelnas_img_s=X pytorch_img_s=Y ratio=R accelnas_rss_mb=A pytorch_rss_mb=B
# and the peak RSS of a Python process that only imports torch (part of every PyTorch figure):
#   torch_import_rss_mb=I
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
threads=${*:-1 2}
tool=$build/examples/accelnas-train
peer=$here/../shared/peers/torch_train_bench.py
[ -x "$tool" ] || { echo "vs_pytorch.sh: $tool not built (cmake --build $build --target accelnas-train)" >&2; exit 1; }
[ -f "$peer" ] || { echo "vs_pytorch.sh: peer script $peer not found" >&2; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  cpus: $(nproc)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
summary=""
for t in $threads; do
  /usr/bin/time -f "%M" -o "$tmp/a_rss" "$tool" --model "$here/examples/specs/peer_mbconv.json" --channels 3 \
      --batch 64 --threads "$t" --throughput 200 --json > "$tmp/a_out"
  a_ips=$(sed -n 's/.*"img_per_s":\([0-9.]*\).*/\1/p' "$tmp/a_out")
  /usr/bin/time -f "%M" -o "$tmp/p_rss" /usr/bin/python3 "$peer" --child "$t" > "$tmp/p_out"
  p_ips=$(sed -n 's/.*train  b64: *[0-9.]* ms\/step *\([0-9.]*\) img\/s.*/\1/p' "$tmp/p_out")
  echo "accelnas: $(cat "$tmp/a_out")"
  echo "pytorch:  $(tr '\n' ' ' < "$tmp/p_out")"
  line=$(awk -v t="$t" -v a="$a_ips" -v p="$p_ips" -v ar="$(tail -1 "$tmp/a_rss")" -v pr="$(tail -1 "$tmp/p_rss")" \
    'BEGIN { printf "threads=%s accelnas_img_s=%.0f pytorch_img_s=%.0f ratio=%.2f accelnas_rss_mb=%.0f pytorch_rss_mb=%.0f", t, a, p, a / p, ar / 1024, pr / 1024 }')
  summary="$summary$line
"
done
/usr/bin/time -f "%M" -o "$tmp/i_rss" /usr/bin/python3 -c 'import torch'
summary="${summary}torch_import_rss_mb=$(awk '{ v = $1 } END { printf "%.0f", v / 1024 }' "$tmp/i_rss")
"
printf "%s" "$summary"
