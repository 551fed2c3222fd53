#!/usr/bin/env bash
# k-seed evaluation: with --seeds 2 each candidate is trained twice, the journal keeps both
# accuracies and their mean (the reward's accuracy) and sample standard deviation; the final report
# retrains the top architectures with --final-seeds seeds, seed 0 being the search's own training
# (same validation accuracy), and writes mean and std to best.json, results.json and final.csv.
# Usage: seeds.sh ACCELNAS_SEARCH WORKDIR
set -euo pipefail
exe=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
args=(--budget 3 --threads 2 --seed 4 --train-images 256 --validation-images 256 --test-images 256 --no-baselines --estimator apm)
"$exe" "${args[@]}" --seeds 2 --final-top 2 --final-seeds 3 --out "$work/k2" > "$work/k2.txt" 2> "$work/k2.err"
"$exe" "${args[@]}" --final-top 1 --final-seeds 1 --out "$work/k1" > "$work/k1.txt" 2> "$work/k1.err"
/usr/bin/python3 - "$work" <<'PY'
import csv, json, math, sys
w = sys.argv[1]
def journal(d):
    lines = [json.loads(l) for l in open(f"{w}/{d}/journal")]
    return lines[0], {r["step"]: r for r in lines[1:]}
h2, k2 = journal("k2")
h1, k1 = journal("k1")
assert h2["config"]["seeds"] == 2 and "seeds" not in h1["config"], "the journal header names --seeds 2 only when it is not 1"
for s, r in k2.items():
    if "duplicate_of" in r or not r["ok"]:
        continue
    a = r["seed_accuracies"]
    assert len(a) == 2, r
    mean = (a[0] + a[1]) / 2
    std = abs(a[0] - a[1]) / math.sqrt(2)  # sample std of two values
    assert abs(r["accuracy"] - mean) < 1e-12 and abs(r["accuracy_std"] - std) < 1e-12, r
    # seed 0 of the k-seed search is the single-seed search's training of the same step
    if s in k1 and k1[s]["arch"] == r["arch"] and "duplicate_of" not in k1[s]:
        assert k1[s]["accuracy"] == a[0], (k1[s], r)
        assert "seed_accuracies" not in k1[s]
best = json.load(open(f"{w}/k2/best.json"))
fin = best["final"]
assert len(fin) == 2 and fin[0]["step"] == best["best"]["step"], fin
for f in fin:
    v, t = f["validation"], f["test"]
    assert f["seeds"] == 3 and len(v["per_seed"]) == 3 and len(t["per_seed"]) == 3
    for x in (v, t):
        m = sum(x["per_seed"]) / 3
        sd = math.sqrt(sum((p - m) ** 2 for p in x["per_seed"]) / 2)
        assert abs(x["mean"] - m) < 1e-12 and abs(x["std"] - sd) < 1e-12, x
    # seed 0 of the retraining is the search's first training of that step
    assert v["per_seed"][0] == k2[f["step"]]["seed_accuracies"][0], (f, k2[f["step"]])
assert best["best"]["test_accuracy"] == fin[0]["test"]["mean"]
assert json.load(open(f"{w}/k2/results.json"))["final"] == fin
rows = list(csv.DictReader(open(f"{w}/k2/final.csv")))
assert len(rows) == 2 and abs(float(rows[0]["validation_mean"]) - fin[0]["validation"]["mean"]) < 1e-9, rows
assert "accuracy_std" in open(f"{w}/k2/results.csv").readline()
assert "accuracy_std" not in open(f"{w}/k1/results.csv").readline()
print("OK: k-seed journal and final report")
PY
grep -q "final report: the top 2 candidate(s) and the published models retrained with 3 seed(s) each" "$work/k2.txt" ||
  { echo "FAIL: no final report in the summary"; cat "$work/k2.txt"; exit 1; }
grep -Eq "^  step +[0-9]+ +[0-9.]+ +[0-9.]+ \+- [0-9.]+ +[0-9.]+ \+- [0-9.]+$" "$work/k2.txt" ||
  { echo "FAIL: the summary lacks mean +- std rows"; cat "$work/k2.txt"; exit 1; }
