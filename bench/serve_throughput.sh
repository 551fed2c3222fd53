#!/usr/bin/env bash
# Throughput and latency of the latency server (accelnas-serve) on loopback, measured in one run:
#   bash bench/serve_throughput.sh [BUILD_DIR]     (needs -DACCELNAS_BUILD_BENCH=ON; builds what it needs)
# Prints: EstimateStream throughput of APM estimates with 8 concurrent streams of EfficientNet-EdgeTPU-S-
# sized networks (goal >= 20,000/s) for each way a network travels (protobuf, JSON, network id) and its
# ratio to the in-process APM; unary Estimate p50/p99 (goal p50 <= 300 us); simulator throughput vs
# --threads. Client and server share this machine's cores, as they would on one host.
set -euo pipefail
build=${1:-build}
cmake --build "$build" -j2 --target accelnas-serve bench_service_client > /dev/null
serve=$build/examples/accelnas-serve client=$build/bench/bench_service_client
work=$(mktemp -d)
trap 'kill -TERM $(cat "$work"/pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/token"

start() {  # start [server args...]: a server on a free loopback port
  rm -f "$work/port"
  "$serve" --listen 127.0.0.1:0 --port-file "$work/port" --token-file "$work/token" "$@" 2> "$work/server.log" &
  echo $! > "$work/pid"
  for _ in $(seq 1 100); do [[ -s "$work/port" ]] && return 0; sleep 0.1; done
  cat "$work/server.log"; exit 1
}
stop() { kill -TERM "$(cat "$work/pid")"; wait "$(cat "$work/pid")" || { echo "server exit status $?"; exit 1; }; rm -f "$work/pid"; }
c() { "$client" --server "127.0.0.1:$(cat "$work/port")" --token-file "$work/token" "$@"; }
rate() { sed -E 's/.*: ([0-9]+) estimates\/s.*/\1/'; }

echo "== in process (the reference)"
"$client" inprocess --seconds 4 | tee "$work/inproc"
inproc1=$(grep "threads=1" "$work/inproc" | rate)
inproc2=$(grep "threads=2" "$work/inproc" | rate)

echo "== EstimateStream, APM, 8 streams, server --threads 2"
start --threads 2
for form in proto json id; do
  line=$(c --form "$form" --seconds 4 stream --streams 8)
  r=$(echo "$line" | rate)
  echo "$line  -> $(awk -v a="$r" -v b="$inproc1" -v c="$inproc2" 'BEGIN{printf "%.3f of in-process APM on 1 thread, %.3f on 2", a/b, a/c}')"
done
stop
start --threads 2 --cache 0
line=$(c --form json --seconds 4 stream --streams 8)
echo "$line  (server --cache 0: every JSON text parsed)"
stop

echo "== unary Estimate, APM, one client, server --threads 2"
start --threads 2
for form in proto id; do c --form "$form" unary --calls 3000; done
stop

echo "== EstimateStream, simulator, 8 streams, networks by id: throughput vs server --threads"
for t in 1 2 4; do
  start --threads "$t"
  line=$(c --form id --estimator sim --seconds 6 stream --streams 8 --window 4)
  echo "--threads $t: $line"
  stop
done
"$client" --estimator sim inprocess --seconds 4 | grep inprocess
