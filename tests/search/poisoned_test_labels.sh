#!/usr/bin/env bash
# The search never selects on test images: a copy of Fashion-MNIST whose test labels are all wrong
# (each label l becomes (l + 1) mod 10) must give the same candidates, validation accuracies,
# rewards and best architecture as the real data set; only the test accuracy reported at the end
# changes (and collapses, which shows the poisoned labels are read there).
# Usage: poisoned_test_labels.sh ACCELNAS_SEARCH WORKDIR [FASHION_MNIST_DIR]
set -euo pipefail
exe=$1 work=$2 fmnist=${3:-/usr/share/datasets/fashion-mnist}
rm -rf "$work"
mkdir -p "$work/poisoned"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte; do
  cp "$fmnist/$f.gz" "$work/poisoned/$f.gz"
done
/usr/bin/python3 - "$fmnist/t10k-labels-idx1-ubyte.gz" "$work/poisoned/t10k-labels-idx1-ubyte.gz" <<'PY'
import gzip, sys
b = bytearray(gzip.open(sys.argv[1]).read())
b[8:] = bytes((v + 1) % 10 for v in b[8:])
gzip.open(sys.argv[2], "wb").write(bytes(b))
PY
args=(--budget 4 --threads 2 --seed 3 --train-images 2000 --validation-images 500 --test-images 500 --final-top 2 --final-seeds 2)
"$exe" "${args[@]}" --data "fashion-mnist:$fmnist" --out "$work/real" > "$work/real.txt" 2> "$work/real.err"
"$exe" "${args[@]}" --data "fashion-mnist:$work/poisoned" --out "$work/poisoned-run" > "$work/poisoned.txt" 2> "$work/poisoned.err"
# results.csv: step, arch, ok, accuracy, latency, param bytes, reward (the seconds column is wall time).
cols() { cut -d, -f1-7 "$1"; }
if ! diff <(cols "$work/real/results.csv") <(cols "$work/poisoned-run/results.csv"); then
  echo "FAIL: poisoned test labels changed the candidates or their scores" >&2
  exit 1
fi
best() { /usr/bin/python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["best"]; print(b["arch"], b["accuracy"], b["reward"])' "$1"; }
[[ "$(best "$work/real/best.json")" == "$(best "$work/poisoned-run/best.json")" ]] || { echo "FAIL: best architecture differs" >&2; exit 1; }
# The baselines' validation accuracies (the "accuracy" column of the summary) are unchanged too.
baselines() { sed -n '/against the published models/,$p' "$1" | awk 'NR > 2 {print $1, $2}'; }
diff <(baselines "$work/real.txt") <(baselines "$work/poisoned.txt") || { echo "FAIL: baseline validation accuracies differ" >&2; exit 1; }
test_acc() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["best"]["test_accuracy"])' "$1"; }
real=$(test_acc "$work/real/best.json") poisoned=$(test_acc "$work/poisoned-run/best.json")
echo "best: $(best "$work/real/best.json"); test accuracy real $real, poisoned $poisoned"
/usr/bin/python3 -c "import sys; r, p = float('$real'), float('$poisoned'); sys.exit(0 if r > 0.2 and p < r - 0.1 else 1)" ||
  { echo "FAIL: the reported test accuracy did not see the poisoned labels ($real vs $poisoned)" >&2; exit 1; }
echo "OK: same search on poisoned test labels"
