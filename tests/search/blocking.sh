#!/usr/bin/env bash
# accelnas-search --gemm-cache-sizes: the pinned sizes are kept in the journal's proxy config and
# reported (with "pinned") in best.json / oneshot.json; a search on the CPU's own sizes keeps no such
# key (old journals resume) and reports "cpu"; a resume with other sizes, or without them, is refused
# naming gemm_cache_sizes; bad values are usage errors (exit 2); --quality none refuses the option.
# Usage: blocking.sh ACCELNAS_SEARCH WORKDIR
set -uo pipefail
exe=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect CODE REGEX ARGS...: the tool run with ARGS exits with CODE and its stderr matches REGEX
expect() {
  local code=$1 re=$2; shift 2
  "$@" > "$work/out" 2> "$work/err"; local got=$?
  if [[ $got -ne $code ]] || ! grep -Eq -- "$re" "$work/err"; then
    fail "$* -> exit $got (expected $code, stderr /$re/):"; cat "$work/err"
  fi
}
mt=(--budget 2 --threads 2 --seed 3 --train-images 256 --validation-images 128 --test-images 128 --no-baselines
    --final-top 1 --final-seeds 1 --estimator apm)
os=(--method oneshot --steps 4 --train-images 256 --validation-images 128 --test-images 128 --oneshot-seeds 1
    --validation-batch 32 --recalibration-images 32 --checkpoint-every 2)
pin=(--gemm-cache-sizes 16384,262144,4194304)
other=(--gemm-cache-sizes 32768,262144,4194304)

expect 0 "" "$exe" "${mt[@]}" "${pin[@]}" --out "$work/mt-pinned"
expect 0 "" "$exe" "${mt[@]}" --out "$work/mt-cpu"
expect 0 "" "$exe" "${os[@]}" "${pin[@]}" --out "$work/os-pinned"
/usr/bin/python3 - "$work" <<'PY' || fails=$((fails + 1))
import json, sys
w = sys.argv[1]
def header(d):
    with open(f"{w}/{d}/journal") as f:
        return json.loads(f.readline())["config"]
pinned = [16384, 262144, 4194304]
assert header("mt-pinned")["proxy"]["gemm_cache_sizes"] == pinned, header("mt-pinned")
assert "gemm_cache_sizes" not in header("mt-cpu")["proxy"], header("mt-cpu")
assert header("os-pinned")["proxy"]["gemm_cache_sizes"] == pinned, header("os-pinned")
b = json.load(open(f"{w}/mt-pinned/best.json"))["gemm_cache_sizes"]
assert b == {"bytes": pinned, "from": "pinned"}, b
c = json.load(open(f"{w}/mt-cpu/best.json"))["gemm_cache_sizes"]
assert c["from"] == "cpu" and len(c["bytes"]) == 3 and all(x > 0 for x in c["bytes"]), c
o = json.load(open(f"{w}/os-pinned/oneshot.json"))
assert o["gemm_cache_sizes"] == {"bytes": pinned, "from": "pinned"}, o["gemm_cache_sizes"]
assert o["config"]["proxy"]["gemm_cache_sizes"] == pinned
PY
# a resume must train with the journal's blocking: other sizes, or the CPU's, are refused; the same resumes
expect 1 "was written with proxy.gemm_cache_sizes = \[16384,262144,4194304\], this search has proxy.gemm_cache_sizes = \[32768,262144,4194304\]" \
  "$exe" "${mt[@]}" "${other[@]}" --out "$work/mt-pinned" --resume
expect 1 "was written with proxy.gemm_cache_sizes = \[16384,262144,4194304\], this search has proxy.gemm_cache_sizes = \(absent\)" \
  "$exe" "${mt[@]}" --out "$work/mt-pinned" --resume
expect 1 "was written with proxy.gemm_cache_sizes = \(absent\), this search has proxy.gemm_cache_sizes = \[16384" \
  "$exe" "${mt[@]}" "${pin[@]}" --out "$work/mt-cpu" --resume
expect 0 "resuming: 2 candidate" "$exe" "${mt[@]}" "${pin[@]}" --out "$work/mt-pinned" --resume
expect 1 "was written with proxy.gemm_cache_sizes = \[16384,262144,4194304\]" "$exe" "${os[@]}" "${other[@]}" --out "$work/os-pinned" --resume
# --rank-check on the pinned one-shot search: its options, the pin included, must be the search's
expect 1 "was written with proxy.gemm_cache_sizes = \[16384,262144,4194304\], this search has proxy.gemm_cache_sizes = \(absent\)" \
  "$exe" "${os[@]}" --out "$work/os-pinned" --resume --rank-check 2
expect 0 "" "$exe" "${os[@]}" "${pin[@]}" --out "$work/os-pinned" --resume --rank-check 2
/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))['gemm_cache_sizes']
assert r == {'bytes': [16384, 262144, 4194304], 'from': 'pinned'}, r" "$work/os-pinned/rank_check.json" || fail "rank_check.json: gemm_cache_sizes"
# the random floor reports its blocking too
expect 0 "" "$exe" --method oneshot --estimator apm --latency-ms 4 --random-floor 1 --oneshot-seeds 1 --train-images 256 \
  --validation-images 128 --test-images 128 "${pin[@]}" --out "$work/floor"
/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))['gemm_cache_sizes']
assert r == {'bytes': [16384, 262144, 4194304], 'from': 'pinned'}, r" "$work/floor/random_floor.json" || fail "random_floor.json: gemm_cache_sizes"

# the journal records the blocking each search ran with; a resume on a CPU with another L1 (faked
# here by editing the recorded one) warns, a pinned search never does
# fake_l1 JOURNAL: the journal's recorded L1 set to 12288 bytes, as if written on another CPU
fake_l1() {
  /usr/bin/python3 - "$1" <<'PY' || fails=$((fails + 1))
import json, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
h = json.loads(lines[0])
assert len(h["context"]["gemm_cache_sizes"]) == 3, h
h["context"]["gemm_cache_sizes"][0] = 12288
lines[0] = json.dumps(h)
open(p, "w").write("\n".join(lines))
PY
}
fake_l1 "$work/mt-cpu/journal"
expect 0 "warning: the journal was written on a CPU whose L1 of 12288 bytes blocked its trainings" "$exe" "${mt[@]}" --out "$work/mt-cpu" --resume
fake_l1 "$work/mt-pinned/journal"
expect 0 "resuming: 2 candidate" "$exe" "${mt[@]}" "${pin[@]}" --out "$work/mt-pinned" --resume
grep -q "warning" "$work/err" && fail "a pinned resume warned about the blocking"
# the same for a one-shot search on the CPU's own blocking
expect 0 "" "$exe" "${os[@]}" --out "$work/os-cpu"
fake_l1 "$work/os-cpu/journal"
expect 0 "warning: the journal was written on a CPU whose L1 of 12288 bytes" "$exe" "${os[@]}" --out "$work/os-cpu" --resume
# bad values: usage errors naming the option, nothing written
expect 2 "--gemm-cache-sizes: gemm cache sizes: L1 = 100 bytes, must be in" "$exe" "${mt[@]}" --gemm-cache-sizes 100,262144,4194304 --out "$work/bad1"
expect 2 "--gemm-cache-sizes: gemm cache sizes: L1 65536 <= L2 32768" "$exe" "${mt[@]}" --gemm-cache-sizes 65536,32768,4194304 --out "$work/bad2"
expect 2 "--gemm-cache-sizes: gemm cache sizes: '32768,65536' is not L1,L2,L3" "$exe" "${mt[@]}" --gemm-cache-sizes 32768,65536 --out "$work/bad3"
expect 1 "--gemm-cache-sizes applies to training: not to --quality none" "$exe" --quality none --estimator apm --budget 2 "${pin[@]}" --out "$work/bad4"
for d in bad1 bad2 bad3 bad4; do [[ -e "$work/$d" ]] && fail "$d: the refused run created its --out"; done
[[ $fails -eq 0 ]] && echo "blocking.sh: all checks passed"
exit $((fails > 0))
