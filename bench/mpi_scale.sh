#!/usr/bin/env bash
# Scaling of the distributed search (mpirun accelnas-search), measured in one run:
#   bash bench/mpi_scale.sh [BUILD_DIR] [SCRATCH_DIR]     (a build with MPI found; builds accelnas-search)
# The same budget-16 search (seed 1, --batch 2, a small proxy task) run
#   - in one process with 2 threads (today's way of using both cores), and
#   - with 1, 2 and 3 processes (mpirun -np 1: no workers; -np 2: one worker; -np 3: two workers), 1 thread each.
# Prints each run's wall-clock time, the ratio of the -np 3 run to the 2-thread run, and rank 0's
# figures from its "mpi:" line: bytes per candidate, CPU seconds per candidate and its share of the
# wall-clock time (all the time rank 0 spends outside training: controller, journal, messages),
# plus the journal's append time (a line written and fsync'd), the two inputs of the scaling model in
# docs/search.md. The machine's load average is printed before and after: other jobs on the cores
# lengthen every wall-clock figure.
set -euo pipefail
build=${1:-build}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
here=$(cd "$(dirname "$0")/.." && pwd)
mpirun=$here/tests/dist/mpirun.sh
cmake --build "$build" -j2 --target accelnas-search > /dev/null
tool=$build/examples/accelnas-search
args=(--space edgetpu --target coral-usb --controller reinforce --budget 16 --batch 2 --seed 1
      --train-images 1000 --test-images 500 --epochs 1 --no-baselines)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

run() {  # run NAME CMD...: wall-clock seconds of CMD into $work/NAME.{log,s}
  local name=$1; shift
  rm -rf "$work/$name"
  local t0 t1
  t0=$(date +%s.%N)
  "$@" --out "$work/$name" > "$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l > "$work/$name.s"
  printf '%-36s %8.2f s\n' "$name" "$(cat "$work/$name.s")"
  grep "mpi:.*candidates sent" "$work/$name.log" | sed 's/^accelnas-search: /    /' || true
}
echo "== wall-clock of the same search (budget 16, batch 2)"
run "1 process, 2 threads" "$tool" "${args[@]}" --threads 2
run "mpirun -np 1 (1 thread)" "$mpirun" -np 1 "$tool" "${args[@]}" --threads 1
run "mpirun -np 2 (1 worker x 1 thread)" "$mpirun" -np 2 "$tool" "${args[@]}" --threads 1
run "mpirun -np 3 (2 workers x 1 thread)" "$mpirun" -np 3 "$tool" "${args[@]}" --threads 1

strip() { sed -E 's/"seconds":[^,}]*//' "$1" | sort; }
for n in "mpirun -np 1 (1 thread)" "mpirun -np 2 (1 worker x 1 thread)" "mpirun -np 3 (2 workers x 1 thread)"; do
  diff -q <(strip "$work/1 process, 2 threads/journal") <(strip "$work/$n/journal") > /dev/null ||
    { echo "journal of '$n' differs from the single-process one"; exit 1; }
done
echo "all four journals are equal (wall-clock seconds aside)"

np3="$work/mpirun -np 3 (2 workers x 1 thread)"
echo "== figures"
printf 'wall-clock, mpirun -np 3 / one process with 2 threads: %.3f\n' "$(echo "$(cat "$np3.s") / $(cat "$work/1 process, 2 threads.s")" | bc -l)"
printf 'wall-clock, mpirun -np 2 / mpirun -np 1: %.3f\n' \
  "$(echo "$(cat "$work/mpirun -np 2 (1 worker x 1 thread).s") / $(cat "$work/mpirun -np 1 (1 thread).s")" | bc -l)"
printf 'wall-clock, mpirun -np 3 / mpirun -np 2: %.3f\n' \
  "$(echo "$(cat "$np3.s") / $(cat "$work/mpirun -np 2 (1 worker x 1 thread).s")" | bc -l)"
line=$(grep "mpi:.*candidates sent" "$np3.log")
echo "rank 0 of -np 3: $(echo "$line" | sed -E 's/.*bytes per candidate ([0-9.]+).*/\1/') bytes per candidate," \
     "$(echo "$line" | sed -E 's/.*s wall \(([0-9.]+)%\).*/\1/')% of the wall-clock outside training," \
     "$(echo "$line" | sed -E 's/.*, ([0-9.]+) ms per candidate.*/\1/') ms CPU per candidate"
train=$(sed -E 's/.*"seconds":([0-9.e+-]+).*/\1/;t;d' "$np3/journal" | awk '{s+=$1; n++} END {printf "%.3f", s/n}')
echo "mean candidate time seen by rank 0 (send, train, price, answer): $train s"
# the price of "one batch in flight": a round lasts as long as its slowest candidate
/usr/bin/python3 - "$np3/journal" 2 <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()[1:]]
batch = int(sys.argv[2])
rounds = {}
for r in recs: rounds.setdefault(r["step"] // batch, []).append(r["seconds"])
busy = sum(sum(v) for v in rounds.values()); span = sum(max(v) for v in rounds.values())
print(f"round efficiency (candidate seconds / (batch x slowest of each round)): {busy / (batch * span):.3f}")
PY
# the journal's cost: appending one line with fsync, as search::journal does, on the scratch disk
fsync_ms=$(/usr/bin/python3 - "$work/fsync-probe" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
line = b'{"accuracy":0.8,"arch":[1,2,3],"failure":"","latency":[0.001],"ok":true,"param_bytes":1.0,"reward":0.5,"seconds":1.0,"step":1}\n'
t = time.perf_counter()
for _ in range(200):
    os.write(fd, line); os.fsync(fd)
print(f"{(time.perf_counter() - t) / 200 * 1e3:.3f}")
PY
)
echo "journal append (write + fsync) on $(df --output=source "$work" | tail -1): $fsync_ms ms"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
