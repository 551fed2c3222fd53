#!/usr/bin/env bash
# A worker (or rank 0) killed with SIGKILL mid-search ends the MPI job (mpirun's rule); `--resume` under mpirun
# then completes the search from the journal: the results equal those of an uninterrupted
# single-process run of the same seed, and only the candidates missing from the journal are sent to
# workers again (none of the journaled ones is trained twice).
# usage: kill_resume.sh <accelnas-search> <mpirun.sh> <scratch dir> [rank to kill (default 1)]
set -euo pipefail
tool=$1 mpirun=$2 work=$3 rank=${4:-1}
rm -rf "$work" && mkdir -p "$work"
budget=10
args=(--space edgetpu --target coral-usb --controller reinforce --budget $budget --batch 2 --threads 1 --seed 5
      --train-images 300 --test-images 200 --no-baselines)

# 1. uninterrupted single-process reference
"$tool" "${args[@]}" --out "$work/full" > "$work/full.log" 2>&1 || { cat "$work/full.log"; exit 1; }

# 2. the search on 3 processes; kill -9 the rank once a few candidates are journaled
"$mpirun" -np 3 "$tool" "${args[@]}" --out "$work/killed" > "$work/killed.log" 2>&1 &
job=$!
victim=""
for _ in $(seq 1 1200); do
  lines=0; [ -f "$work/killed/journal" ] && lines=$(wc -l < "$work/killed/journal")
  if [ "$lines" -ge 4 ]; then
    # the rank among mpirun's children: the process whose environment says OMPI_COMM_WORLD_RANK=<rank>
    for p in $(pgrep -P "$job" || true) $(pgrep -P "$(pgrep -P "$job" | head -1)" 2>/dev/null || true); do
      if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then victim=$p; fi
    done
    break
  fi
  kill -0 "$job" 2>/dev/null || break
  sleep 0.1
done
[ -n "$victim" ] || { echo "FAIL: no rank $rank to kill (the search ended first?)"; cat "$work/killed.log"; exit 1; }
kill -9 "$victim"
rc=0; wait "$job" || rc=$?
done_before=$(( $(wc -l < "$work/killed/journal") - 1 ))
echo "killed rank $rank (pid $victim): mpirun exited with $rc after $done_before journaled candidates"
[ "$rc" -ne 0 ] || { echo "FAIL: the job did not fail when a worker died"; exit 1; }
[ "$done_before" -lt $budget ] || { echo "FAIL: nothing left to resume"; exit 1; }

# 3. resume on 3 processes
"$mpirun" -np 3 "$tool" "${args[@]}" --out "$work/killed" --resume > "$work/resumed.log" 2>&1 ||
  { cat "$work/resumed.log"; exit 1; }
grep -q "$done_before from the journal" "$work/resumed.log" ||
  { echo "FAIL: resume did not replay $done_before candidates"; cat "$work/resumed.log"; exit 1; }
grep -q "mpi: $((budget - done_before)) candidates sent" "$work/resumed.log" ||
  { echo "FAIL: the resumed run did not send exactly the $((budget - done_before)) missing candidates"; cat "$work/resumed.log"; exit 1; }

# 4. same results as the uninterrupted run (all columns but the wall-clock seconds), same best.json
diff <(cut -d, -f1-7 "$work/full/results.csv") <(cut -d, -f1-7 "$work/killed/results.csv") || { echo "FAIL: results differ"; exit 1; }
diff "$work/full/best.json" "$work/killed/best.json" || { echo "FAIL: best.json differs"; exit 1; }
[ "$(wc -l < "$work/killed/journal")" -eq $((budget + 1)) ] || { echo "FAIL: journal has $(wc -l < "$work/killed/journal") lines"; exit 1; }
echo "PASS: after kill -9 of rank $rank, --resume completed the search ($done_before replayed, $((budget - done_before)) trained)"
