#!/usr/bin/env bash
# Same seed, same search: the journal of `mpirun -np 3 accelnas-search` (rank 0 and two workers, one
# thread each) equals, line for line apart from the wall-clock seconds, the journal of the same
# search in one process with the same --batch; and rank 0 really handed every candidate to a worker.
# usage: search_journal.sh <accelnas-search> <mpirun.sh> <scratch dir>
set -euo pipefail
tool=$1 mpirun=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
args=(--space edgetpu --target coral-usb --controller reinforce --budget 8 --batch 2 --threads 1 --seed 3
      --train-images 128 --test-images 128 --epochs 1 --no-baselines)
"$tool" "${args[@]}" --out "$work/single" > "$work/single.log" 2>&1 || { cat "$work/single.log"; exit 1; }
"$mpirun" -np 3 "$tool" "${args[@]}" --out "$work/mpi" > "$work/mpi.log" 2>&1 || { cat "$work/mpi.log"; exit 1; }
strip() { sed -E 's/"seconds":[^,}]*//' "$1" | sort; }  # candidates of a round are journaled in any order
if ! diff <(strip "$work/single/journal") <(strip "$work/mpi/journal"); then
  echo "FAIL: the journals differ"; exit 1
fi
[[ $(wc -l < "$work/mpi/journal") -eq 9 ]] || { echo "FAIL: expected a header and 8 candidates"; exit 1; }
# the same summary (best candidate, Pareto front) apart from the wall-clock time
diff <(grep -vE "candidates \(|^accelnas-search:|^  target|^progress" "$work/single.log") \
     <(grep -vE "candidates \(|^accelnas-search:|^  target|^progress" "$work/mpi.log") ||
  { echo "FAIL: the summaries differ"; exit 1; }
grep -q "mpi: 8 candidates sent to 2 worker(s)" "$work/mpi.log" || { echo "FAIL: rank 0 did not hand out the 8 candidates"; cat "$work/mpi.log"; exit 1; }
grep "mpi:" "$work/mpi.log"
echo "PASS: same journal from 3 processes and from one ($(($(wc -l < "$work/mpi/journal") - 1)) candidates)"
