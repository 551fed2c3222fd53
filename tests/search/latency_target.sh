#!/usr/bin/env bash
# Latency targets are reached: a latency-only search (--quality none: every candidate has accuracy
# 0.5, so the reward is the TuNAS absolute reward's latency term alone) on the APM chooses an
# architecture within +-5% of the target, on coral-usb and on pixel4-edgetpu, at the default
# target (EfficientNet-EdgeTPU-S's latency) and at targets away from it. A target no architecture
# reaches is said so, naming the closest latency found, which is reported as the best.
# Usage: latency_target.sh ACCELNAS_SEARCH WORKDIR
set -euo pipefail
exe=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
base=(--quality none --estimator apm --reward tunas --controller reinforce --seed 1)
n=0
check() {  # check TARGET [--latency-ms MS]
  local t=$1; shift
  n=$((n + 1))
  "$exe" "${base[@]}" --budget 60 --target "$t" "$@" --out "$work/$n" > "$work/$n.txt" 2> "$work/$n.err"
  /usr/bin/python3 - "$work/$n/best.json" "$t" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); t = sys.argv[2]
lat, target = b["best"]["latency_ms"][t], b["latency_target_ms"][t]
print(f"{t}: target {target:.3f} ms, chosen {lat:.3f} ms ({lat / target:.3f}x)")
sys.exit(0 if abs(lat / target - 1) <= 0.05 and b["latency_target_reached"] else 1)
PY
}
check coral-usb
check coral-usb --latency-ms 3
check coral-usb --latency-ms 6.5
check pixel4-edgetpu
check pixel4-edgetpu --latency-ms 3.5
check pixel4-edgetpu --latency-ms 8
# unreachable: 0.01 ms on coral-usb; the search says so and names the closest latency it found
"$exe" "${base[@]}" --budget 20 --target coral-usb --latency-ms 0.01 --out "$work/unreachable" > "$work/u.txt" 2> "$work/u.err"
closest=$(/usr/bin/python3 -c 'import json,sys; r=[e["latency"][0] for e in json.load(open(sys.argv[1]))["evaluations"] if e["ok"]]; print("%.3f" % (min(r)*1e3))' "$work/unreachable/results.json")
grep -q "latency target not reached: no candidate is within +-5% of 0.010 ms on coral-usb; the closest found takes $closest ms" "$work/u.txt" ||
  { echo "FAIL: no clear message for an unreachable target (closest $closest ms)"; cat "$work/u.txt"; exit 1; }
grep -q "no candidate meets the latency target" "$work/u.err" || { echo "FAIL: the log does not say the target is out of reach"; exit 1; }
/usr/bin/python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); sys.exit(0 if not b["latency_target_reached"] and abs(b["best"]["latency_ms"]["coral-usb"] - float(sys.argv[2])) < 0.0005 else 1)' \
  "$work/unreachable/best.json" "$closest" || { echo "FAIL: best.json does not report the closest candidate"; exit 1; }
echo "OK: targets within +-5% on coral-usb and pixel4-edgetpu; unreachable target reported (closest $closest ms)"
