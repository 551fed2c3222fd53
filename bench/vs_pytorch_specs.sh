#!/bin/sh
# Training throughput and peak RSS of accelnas vs PyTorch on the networks NAS trains, side by side.
#
#   bench/vs_pytorch_specs.sh [BUILD_DIR] [THREADS...]      (defaults: build, 1 2)
#   NETWORKS="peer resnet50_v1" bench/vs_pytorch_specs.sh    (a subset; names as printed)
#   QUICK=1 bench/vs_pytorch_specs.sh                        (a few steps per run)
#
# Networks: the peer model (examples/specs/peer_mbconv.json), a sampled `edgetpu` space network at
# width 0.25 (accelnas-space --sample 1 --seed 1, decoded with --scale 0.25 1 1), mobilenet_v2,
# mnasnet_a1, efficientnet_edgetpu_s, resnet50_v1; each adapted by both sides to 32x32x3 and 10
# classes (accelnas-train does it, the peer ../shared/peers/torch_from_spec.py with --channels 3).
# Batch 64, random data, forward + cross-entropy + backward + SGD momentum; one fresh process per
# network, side and thread count. accelnas: accelnas-train --throughput S (S timed steps after 5
# warm-up steps); PyTorch: torch_from_spec.py (median of R runs of S' steps after W warm-up steps).
# Peak RSS is GNU time's maximum resident set size of each process. The load average is printed
# before every network: the machine may be shared, compare figures of one run only.
# Also times a one-core Eigen SGEMM (bench_sgemm_ceiling, ResNet-50's GEMM sizes at 32x32) in the
# same run and reports ResNet-50's one-thread GFLOP/s (forward MACs x 3 x 2 x img/s) against it.
# Prints, last, one line per network and thread count:
#   network=N threads=T accelnas_img_s=X pytorch_img_s=Y ratio=R accelnas_rss_mb=A pytorch_rss_mb=B
# then sgemm_1core_gflops=G, resnet50_1thread_gflops=F (P% of the ceiling) and the peak RSS of a
# Python process that only imports torch (part of every PyTorch figure): torch_import_rss_mb=I
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
threads=${*:-1 2}
networks=${NETWORKS:-peer edgetpu_sample_025 mobilenet_v2 mnasnet_a1 efficientnet_edgetpu_s resnet50_v1}
bin=$build/examples
peer=$here/../shared/peers/torch_from_spec.py
for t in accelnas-train accelnas-info accelnas-space; do
  [ -x "$bin/$t" ] || { echo "vs_pytorch_specs.sh: $bin/$t not built (cmake --build $build --target $t)" >&2; exit 1; }
done
[ -f "$peer" ] || { echo "vs_pytorch_specs.sh: peer script $peer not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load() { echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)  cpus: $(nproc)  $(date -u +%H:%M:%S) UTC"; }

# The network specs, as JSON files.
spec() {
  case $1 in
    peer) echo "$here/examples/specs/peer_mbconv.json" ;;
    edgetpu_sample_025)
      arch=$("$bin/accelnas-space" --space edgetpu --sample 1 --seed 1 | sed -n 's/.*224x224  //p' | head -1)
      "$bin/accelnas-space" --space edgetpu --decode "$arch" --scale 0.25 1 1 --net-json > "$tmp/$1.json"
      echo "$tmp/$1.json" ;;
    *) "$bin/accelnas-info" --spec-json "$tmp/$1.json" "$1" > /dev/null; echo "$tmp/$1.json" ;;
  esac
}
# Steps per run (accelnas timed steps; PyTorch steps, repeats, warm-up): about the same wall time
# per network. QUICK=1 takes a few steps only (a loaded machine; noisier figures).
steps() {
  if [ -n "${QUICK:-}" ]; then echo "3 2 1 1"; return; fi
  case $1 in
    peer) echo "200 30 5 10" ;;
    resnet50_v1|efficientnet_edgetpu_s) echo "15 5 3 3" ;;
    *) echo "50 10 3 5" ;;
  esac
}

summary=""
for net in $networks; do
  file=$(spec "$net")
  set -- $(steps "$net")
  a_steps=$1 p_steps=$2 p_repeats=$3 p_warmup=$4
  for t in $threads; do
    load
    /usr/bin/time -f "%M" -o "$tmp/a_rss" "$bin/accelnas-train" --model "$file" --channels 3 --batch 64 \
        --threads "$t" --throughput "$a_steps" --json > "$tmp/a_out"
    a_ips=$(sed -n 's/.*"img_per_s":\([0-9.e+]*\).*/\1/p' "$tmp/a_out")
    /usr/bin/time -f "%M" -o "$tmp/p_rss" /usr/bin/python3 "$peer" "$file" --channels 3 --batch 64 --threads "$t" \
        --steps "$p_steps" --repeats "$p_repeats" --warmup "$p_warmup" > "$tmp/p_out"
    p_ips=$(sed -n 's/.*train  b64: *[0-9.]* ms\/step *\([0-9.]*\) img\/s.*/\1/p' "$tmp/p_out" | head -1)
    line=$(awk -v n="$net" -v t="$t" -v a="$a_ips" -v p="$p_ips" -v ar="$(tail -1 "$tmp/a_rss")" -v pr="$(tail -1 "$tmp/p_rss")" \
      'BEGIN { printf "network=%s threads=%s accelnas_img_s=%.0f pytorch_img_s=%.0f ratio=%.2f accelnas_rss_mb=%.0f pytorch_rss_mb=%.0f", n, t, a, p, a / p, ar / 1024, pr / 1024 }')
    echo "$line"
    summary="$summary$line
"
    if [ "$net" = resnet50_v1 ] && [ "$t" = 1 ]; then resnet_ips=$a_ips; fi
  done
done

if [ -n "${resnet_ips:-}" ]; then
  load
  if [ -x "$build/bench/bench_sgemm_ceiling" ]; then
    gflops=$("$build/bench/bench_sgemm_ceiling" --benchmark_min_time=0.5 2>/dev/null |
             sed -n 's/.*GFLOPS=\([0-9.]*\)G.*/\1/p' | sort -g | tail -1)
  else
    echo "# bench_sgemm_ceiling not built (configure with -DACCELNAS_BUILD_BENCH=ON): no ceiling" >&2
    gflops=""
  fi
  # Forward MACs at 32x32 with 10 classes: the zoo network at 32x32 less 990 of its 1000 logits.
  macs=$("$bin/accelnas-info" --format csv resnet50_v1@32 | awk -F, 'NR == 2 { print $4 - 2048 * 990 }')
  summary="${summary}sgemm_1core_gflops=${gflops:-n/a}
"
  if [ -n "$macs" ] && [ -n "$gflops" ]; then
    summary="$summary$(awk -v m="$macs" -v i="$resnet_ips" -v g="$gflops" \
      'BEGIN { f = m * 6 * i / 1e9; printf "resnet50_1thread_gflops=%.1f (%.0f%% of the one-core SGEMM ceiling)", f, 100 * f / g }')
"
  fi
fi
/usr/bin/time -f "%M" -o "$tmp/i_rss" /usr/bin/python3 -c 'import torch'
summary="${summary}torch_import_rss_mb=$(awk '{ v = $1 } END { printf "%.0f", v / 1024 }' "$tmp/i_rss")
"
echo "# summary"
printf "%s" "$summary"
