#!/usr/bin/env bash
# Kill-and-resume test of accelnas-search (issue 6): a search killed with SIGKILL mid-run and then
# continued with --resume ends with the same results as an uninterrupted run of the same seed.
# usage: kill_resume.sh <accelnas-search> <scratch dir> [threads (default 1)]
# With 2 threads, candidates of a round finish in any order and the kill may split a round.
set -euo pipefail
tool=$1
work=$2
threads=${3:-1}
rm -rf "$work"
mkdir -p "$work"
args=(--space edgetpu --target coral-usb --controller reinforce --budget 10 --threads "$threads" --seed 5
      --train-images 300 --validation-images 200 --test-images 200 --no-baselines)

# 1. uninterrupted reference run
"$tool" "${args[@]}" --out "$work/full" > "$work/full.log" 2>&1

# 2. the same search, killed (SIGKILL) once a few candidates are journaled
"$tool" "${args[@]}" --out "$work/killed" > "$work/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  lines=0; [ -f "$work/killed/journal" ] && lines=$(wc -l < "$work/killed/journal")
  if [ "$lines" -ge 5 ]; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null || { echo "FAIL: the search finished before it could be killed"; exit 1; }
wait "$pid" 2>/dev/null || true
done_before=$(( $(wc -l < "$work/killed/journal") - 1 ))
echo "killed after $done_before journaled candidates"
[ "$done_before" -lt 10 ] || { echo "FAIL: nothing left to resume"; exit 1; }
# simulate a half-written last line, as a kill during write() would leave
printf '{"accuracy":0.1,"arch":[0,1' >> "$work/killed/journal"

# 3. resume
"$tool" "${args[@]}" --out "$work/killed" --resume > "$work/resumed.log" 2>&1 || { cat "$work/resumed.log"; exit 1; }
grep -q "recovered the journal" "$work/resumed.log" || { echo "FAIL: corrupt last line not reported"; exit 1; }
grep -q "$done_before from the journal" "$work/resumed.log" || { echo "FAIL: resume did not replay $done_before candidates"; cat "$work/resumed.log"; exit 1; }

# 4. same final results (all columns but the wall-clock seconds), same best.json
cut -d, -f1-7 "$work/full/results.csv" > "$work/full.cols"
cut -d, -f1-7 "$work/killed/results.csv" > "$work/killed.cols"
diff "$work/full.cols" "$work/killed.cols" || { echo "FAIL: results differ"; exit 1; }
diff "$work/full/best.json" "$work/killed/best.json" || { echo "FAIL: best.json differs"; exit 1; }
[ "$(wc -l < "$work/killed/journal")" -eq 11 ] || { echo "FAIL: journal has $(wc -l < "$work/killed/journal") lines, expected 11"; exit 1; }
echo "PASS: resumed search equals the uninterrupted one ($done_before candidates replayed)"
