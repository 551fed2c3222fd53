#!/usr/bin/env bash
# accelnas-search's controller and seed options: the resolved defaults (evolution's population and
# sample size from the budget, the REINFORCE batch from --batch) and a clear error naming the
# option for each bad value. Latency-only searches on the APM: seconds.
# Usage: options.sh ACCELNAS_SEARCH WORKDIR
set -uo pipefail
exe=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
fails=0
n=0
# expect CODE REGEX ARGS...: the tool run with ARGS --out WORK/run<n> exits with CODE and its stderr
# matches REGEX (n counts the calls)
expect() {
  local code=$1 re=$2; shift 2
  n=$((n + 1))
  "$@" --out "$work/run$n" > "$work/out" 2> "$work/err"; local got=$?
  if [[ $got -ne $code ]] || ! grep -Eq -- "$re" "$work/err"; then
    echo "FAIL: $* -> exit $got (expected $code), stderr:"; cat "$work/err"; fails=$((fails + 1))
  fi
}
base=(--quality none --estimator apm)
# defaults that scale with the budget: 40 -> population 10, sample 3; 1000 -> 50, 13; 6 -> 1, 1
expect 0 "controller evolution \(population 10, sample size 3\)" "$exe" "${base[@]}" --controller evolution --budget 40
expect 0 "controller evolution \(population 50, sample size 13\)" "$exe" "${base[@]}" --controller evolution --budget 1000
expect 0 "controller evolution \(population 1, sample size 1\)" "$exe" "${base[@]}" --controller evolution --budget 6
expect 0 "controller evolution \(population 8, sample size 5\)" "$exe" "${base[@]}" --controller evolution --budget 40 --population 8 --sample-size 5
expect 0 "controller reinforce \(learning rate 0.1, 4 candidate\(s\) per gradient step\)" "$exe" "${base[@]}" --budget 8 --batch 4
expect 0 "controller reinforce \(learning rate 0.05, 1 candidate\(s\) per gradient step\)" "$exe" "${base[@]}" --budget 8 --batch 4 --reinforce-batch 1 --controller-lr 0.05
expect 0 "controller rnn \(hidden 32, learning rate 0.01\)" "$exe" "${base[@]}" --controller rnn --budget 4
expect 0 "controller rnn \(hidden 8, learning rate 0.02\)" "$exe" "${base[@]}" --controller rnn --budget 4 --rnn-hidden 8 --rnn-lr 0.02
# bad values: an error naming the option, nothing written
expect 1 "error: --population \(50\) exceeds --budget \(40\)" "$exe" "${base[@]}" --controller evolution --population 50
expect 1 "error: --sample-size \(9\) exceeds --population \(8\)" "$exe" "${base[@]}" --controller evolution --population 8 --sample-size 9
expect 1 "error: --population and --sample-size apply to --controller evolution only" "$exe" "${base[@]}" --population 8
expect 1 "error: --rnn-hidden and --rnn-lr apply to --controller rnn only" "$exe" "${base[@]}" --rnn-hidden 8
expect 1 "error: --reinforce-batch applies to --controller reinforce only" "$exe" "${base[@]}" --controller random --reinforce-batch 2
expect 1 "error: --reinforce-batch \(3\) exceeds --batch \(2\)" "$exe" "${base[@]}" --batch 2 --reinforce-batch 3
expect 2 "--rnn-hidden: Value 0 not in range" "$exe" "${base[@]}" --controller rnn --rnn-hidden 0
expect 2 "--rnn-lr: Value -1 not in range" "$exe" "${base[@]}" --controller rnn --rnn-lr -1
expect 2 "--seeds: Value 0 not in range" "$exe" "${base[@]}" --seeds 0
expect 2 "--final-seeds: Value 0 not in range" "$exe" "${base[@]}" --final-seeds 0
expect 2 "--final-top: Value 0 not in range" "$exe" "${base[@]}" --final-top 0
expect 2 "--latency-tolerance: Value 1.5 not in range" "$exe" "${base[@]}" --latency-tolerance 1.5
expect 2 "--population: Value 0 not in range" "$exe" "${base[@]}" --controller evolution --population 0
expect 2 "--latency-band: both not in" "$exe" "${base[@]}" --latency-band both
expect 1 "error: --latency-band at-most applies to --method multi-trial only" "$exe" "${base[@]}" --method oneshot --latency-band at-most
# the band in the log and in best.json; at-most takes the fastest-enough candidate a two-sided band refuses
expect 0 "result: the best reward among the candidates within \+-5% of every latency target \(two-sided band\)" "$exe" "${base[@]}" --budget 4
grep -q '"latency_band": "two-sided"' "$work/run$n/best.json" || { echo "FAIL: best.json lacks the band"; fails=$((fails + 1)); }
expect 0 "within \+10% of every latency target \(at-most band\)" "$exe" "${base[@]}" --budget 4 --latency-band at-most --latency-tolerance 0.1
# one-shot's --rerank: a negative count is a usage error, more than --choice-candidates an error naming both
expect 2 "--rerank: Value -1 not in range" "$exe" "${base[@]}" --method oneshot --rerank -1
expect 1 "error: --rerank 5 is more than --choice-candidates 4" "$exe" --estimator apm --method oneshot --rerank 5 --choice-candidates 4
expect 1 "error: --rerank applies to --method oneshot only" "$exe" "${base[@]}" --rerank 2
# one-shot's --distill: a search option (not of multi-trial, not of the random floor)
expect 1 "error: --distill applies to --method oneshot only" "$exe" "${base[@]}" --distill
expect 1 "error: --distill applies to a search, not to --random-floor" "$exe" --estimator apm --method oneshot --distill --random-floor 2
# one-shot's --warmup-blocks: a search option, not with --distill
expect 1 "error: --warmup-blocks applies to --method oneshot only" "$exe" "${base[@]}" --warmup-blocks
expect 1 "error: --warmup-blocks and --distill cannot be combined" "$exe" --estimator apm --method oneshot --warmup-blocks --distill
# an option of the other method is an error naming it, not silently ignored (either direction)
expect 1 "error: --steps applies to --method oneshot only" "$exe" "${base[@]}" --steps 10
expect 1 "error: --oneshot-seeds applies to --method oneshot only" "$exe" "${base[@]}" --budget 4 --oneshot-seeds 2
expect 1 "error: --budget applies to --method multi-trial only" "$exe" --estimator apm --method oneshot --budget 4
expect 1 "error: --quality applies to --method multi-trial only" "$exe" "${base[@]}" --method oneshot
expect 1 "error: --final-seeds applies to --method multi-trial only" "$exe" --estimator apm --method oneshot --final-seeds 3
for i in 9 10 11 12 13 14 18 19 22 23 26 27 28 29 30 31 32 33; do [[ ! -e "$work/run$i" ]] || { echo "FAIL: $work/run$i written despite the bad option"; fails=$((fails + 1)); }; done
# one-shot's --rank-check: of one-shot only, reads a finished search (--resume), ranks at least 2, runs alone
first=$((n + 1))
expect 1 "error: --rank-check applies to --method oneshot only" "$exe" "${base[@]}" --rank-check 4
expect 1 "error: --rank-check scores architectures on the supernet of a finished search" "$exe" --estimator apm --method oneshot --rank-check 4
expect 1 "error: --rank-check needs at least 2 architectures" "$exe" --estimator apm --method oneshot --resume --rank-check 1
expect 1 "error: --rank-check runs alone: not with --rerank or --random-floor" "$exe" --estimator apm --method oneshot --resume --rank-check 3 --rerank 2
for ((i = first; i <= n; i++)); do [[ ! -e "$work/run$i" ]] || { echo "FAIL: $work/run$i written despite the bad option"; fails=$((fails + 1)); }; done
# a journal of the old default evolution (population 50, sample 10) resumes with those explicit options
"$exe" "${base[@]}" --controller evolution --budget 60 --population 50 --sample-size 10 --out "$work/old" > /dev/null 2>&1
head -1 "$work/old/journal" | grep -q '"evolution":{'  && { echo "FAIL: population 50 / sample 10 should write the journal header of before the options"; fails=$((fails + 1)); }
"$exe" "${base[@]}" --controller evolution --budget 60 --population 50 --sample-size 10 --out "$work/old" --resume > /dev/null 2>&1 ||
  { echo "FAIL: the journal of population 50 / sample 10 does not resume with those options"; fails=$((fails + 1)); }
"$exe" "${base[@]}" --controller evolution --budget 60 --out "$work/old" --resume > /dev/null 2> "$work/err"
grep -q 'was written with evolution = (absent), this search has evolution = {"population":15,"sample_size":4}' "$work/err" ||
  { echo "FAIL: resuming it at the new defaults does not name the difference:"; cat "$work/err"; fails=$((fails + 1)); }
[[ $fails -eq 0 ]] && echo "OK: options" || exit 1
