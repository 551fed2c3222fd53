#!/usr/bin/env bash
# Throughput and latency of the latency server (accelnas-serve) on loopback, measured in one run:
#   bash bench/serve_throughput.sh [BUILD_DIR]     (needs -DACCELNAS_BUILD_BENCH=ON; builds what it needs)
# Prints: EstimateStream throughput of APM estimates with 8 concurrent streams of EfficientNet-EdgeTPU-S-
# sized networks (goal >= 20,000/s) for each way a network travels (protobuf decoded on every request,
# JSON text held by the server, JSON parsed every time, network id) and its ratio to the in-process APM;
# unary Estimate p50/p99 (goal p50 <= 300 us); simulator throughput with server --threads 1 and 2 and
# their ratio. Client and server share this machine's cores, as they would on one host; the load
# average is printed with each part (other jobs on the machine take cores from every figure).
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
load() { echo "   (load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"; }

echo "== in process (the reference)"
load
"$client" inprocess --seconds 4 | tee "$work/inproc"
inproc1=$(grep "threads=1" "$work/inproc" | rate)
inproc2=$(grep "threads=2" "$work/inproc" | rate)

echo "== EstimateStream, APM, 8 streams, server --threads 2"
load
start --threads 2
ticks() { awk '{print $14 + $15}' "/proc/$(cat "$work/pid")/stat"; }  # the server's user + system CPU time
for form in proto json id; do
  t0=$(ticks)
  line=$(c --form "$form" --seconds 4 stream --streams 8)
  t1=$(ticks)
  r=$(echo "$line" | rate)
  n=$(echo "$line" | sed -E 's/.*\(([0-9]+) in .*/\1/')
  echo "$line  -> $(awk -v a="$r" -v b="$inproc1" -v c="$inproc2" 'BEGIN{printf "%.3f of in-process APM on 1 thread, %.3f on 2", a/b, a/c}')"
  # CPU per estimate depends less on the other jobs than the rate does (it includes the client's setup calls)
  awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN{printf "   server CPU time: %.1f us per estimate\n", 1e6 * t / hz / n}'
done
stop
start --threads 2 --cache 0
line=$(c --form json --seconds 4 stream --streams 8)
echo "$line  (server --cache 0: every JSON text parsed)"
stop
load

echo "== unary Estimate, APM, one client, server --threads 2"
start --threads 2
for form in proto id; do c --form "$form" unary --calls 3000; done
stop
load

echo "== EstimateStream, simulator, 8 streams, networks by id: throughput with server --threads 1 and 2"
echo "   (alternating 1, 2, 1, 2 so that a change of the machine's load hits both alike)"
declare -A sum=([1]=0 [2]=0)
for t in 1 2 1 2; do
  start --threads "$t"
  line=$(c --form id --estimator sim --seconds 5 stream --streams 8 --window 4)
  echo "--threads $t: $line"
  sum[$t]=$((sum[$t] + $(echo "$line" | rate)))
  stop
done
awk -v a="${sum[1]}" -v b="${sum[2]}" 'BEGIN{printf "simulator throughput, server --threads 2 / --threads 1: %.2f (%.0f / %.0f per s, mean of 2 runs each)\n", b/a, b/2, a/2}'
"$client" --estimator sim inprocess --seconds 4 | grep inprocess | tee "$work/insim"
awk -v a="$(grep threads=1 "$work/insim" | rate)" -v b="$(grep threads=2 "$work/insim" | rate)" \
  'BEGIN{printf "in-process simulator, 2 threads / 1 thread: %.2f (what the machine lets 2 threads gain now)\n", b/a}'
load
