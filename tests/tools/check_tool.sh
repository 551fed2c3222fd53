#!/usr/bin/env bash
# The tool rules (README "Tools"; include/accelnas/app/tool.hpp) for one accelnas-* tool: exit code
# 0 / 1 (runtime or input error) / 2 (usage error), the message form "accelnas-TOOL: error: ..." on
# stderr, range checks before any output, files written whole or not at all (a write failure is
# injected with a file-size limit, `ulimit -f`, which needs no privileges and fails write(2) the way
# a full disk does), and --json / --format json printing exactly one JSON document on stdout.
#
# usage: check_tool.sh <tool: info|space|estimate|calibrate|train|search> <dir with accelnas-*> <scratch dir>
#                      <source dir> <Fashion-MNIST dir>
set -uo pipefail
tool=$1 bin=$2 work=$3 src=$4 fmnist=$5
exe="$bin/accelnas-$tool"
rm -rf "$work" && mkdir -p "$work"
failures=0 cases=0

fail() { echo "FAIL [$label]: $*"; failures=$((failures + 1)); }

# expect CODE REGEX cmd... : runs cmd, checks its exit code, that stderr matches REGEX (a grep -E
# pattern; "" = stderr need not match anything) and, for errors, that stdout is empty.
expect() {
  local code=$1 regex=$2; shift 2
  label="$*"; cases=$((cases + 1))
  "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "exit code $rc, expected $code; stderr: $(head -c 400 "$work/err")"
  if [ -n "$regex" ]; then grep -Eq -- "$regex" "$work/err" || fail "stderr does not match '$regex': $(head -c 400 "$work/err")"; fi
  if [ "$code" -ne 0 ]; then
    [ ! -s "$work/out" ] || fail "stdout is not empty on an error: $(head -c 200 "$work/out")"
    [ "$(grep -c "error:" "$work/err")" -eq 1 ] || fail "expected exactly one error line on stderr"
  fi
}

# one_json cmd... : stdout of cmd (exit 0) is exactly one JSON document.
one_json() {
  label="one JSON document: $*"; cases=$((cases + 1))
  "$@" > "$work/out" 2> "$work/err" || fail "exit code $?: $(head -c 400 "$work/err")"
  /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' < "$work/out" || fail "stdout is not exactly one JSON document"
}

# limited KB cmd... : runs cmd with files limited to KB kilobytes (SIGXFSZ ignored: write(2) fails
# with EFBIG instead of killing the process).
limited() { local kb=$1; shift; bash -c 'trap "" XFSZ; ulimit -f "$0"; exec "$@"' "$kb" "$@"; }

# whole_or_absent FILE...: each file is absent or complete (JSON files parse, others are non-empty
# and end with a newline); no temporary file is left next to them.
whole_or_absent() {
  label="whole or absent: $*"; cases=$((cases + 1))
  for f in "$@"; do
    [ -e "$f" ] || continue
    case "$f" in
      *.json) /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" || fail "$f is not whole";;
      *) [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || fail "$f is not whole";;
    esac
    ls -a "$(dirname "$f")" | grep -q '\.tmp\.' && fail "a temporary file was left in $(dirname "$f")"
  done
}

err="^accelnas-$tool: error: "
common() {
  expect 2 "${err}The following argument was not expected: --bogus" "$exe" --bogus "$@"
  expect 0 "" "$exe" --help
}
# A full stdout (/dev/full) is an error, not a silent exit 0.
stdout_full() {
  label="stdout to /dev/full: $*"; cases=$((cases + 1))
  "$@" > /dev/full 2> "$work/err"
  local rc=$?
  [ "$rc" -eq 1 ] || fail "exit code $rc, expected 1"
  grep -Eq "${err}cannot write the results to stdout" "$work/err" || fail "stderr: $(head -c 300 "$work/err")"
}

ref="$src/../shared/reference/edgetpu_measured_calibration.csv"
spec="$src/examples/specs/peer_mbconv.json"
case "$tool" in
info)
  common
  expect 1 "${err}model spec 'no_such_model': unknown zoo model" "$exe" no_such_model
  expect 1 "${err}model spec 'mobilenet_v2@0': input size 0 after '@' must be positive" "$exe" mobilenet_v2@0
  expect 2 "${err}--spec-json needs exactly one SPEC \\(got 2\\)" "$exe" --spec-json "$work/x.json" mobilenet_v2 vgg16
  expect 2 "${err}--format: xml not in \\{table,csv,json\\}" "$exe" --format xml
  expect 1 "${err}no SPEC given is a known point" "$exe" --arch vgg16
  one_json "$exe" --format json --per-op mobilenet_v2 resnet50_v1@299
  stdout_full "$exe" mobilenet_v2
  expect 1 "${err}cannot write '$work/no/m.json'" "$exe" --spec-json "$work/no/m.json" mnasnet_a1
  expect 1 "${err}cannot write '$work/m.json': write: File too large" limited 8 "$exe" --spec-json "$work/m.json" mnasnet_a1
  label="no partial --spec-json"; cases=$((cases + 1)); [ ! -e "$work/m.json" ] || fail "m.json was left behind"
  whole_or_absent "$work/m.json"
  ;;
space)
  common
  expect 2 "${err}--sample: Value -3 not in range 1 to 100000" "$exe" --sample -3
  expect 2 "${err}--sample: Value 0 not in range" "$exe" --sample 0
  expect 2 "${err}--resolution: Value -1 not in range" "$exe" --resolution -1 --decode x
  expect 2 "${err}--classes: Value 0 not in range" "$exe" --classes 0
  expect 2 "${err}--seed: Value -1 not in range" "$exe" --seed -1 --sample 2
  expect 2 "${err}--scale: width and depth must be positive" "$exe" --scale 0,1,224 --sample 1
  expect 1 "${err}unknown search space 'edge' \\(expected one of: mnasnet, edgetpu, pixel4\\)" "$exe" --space edge
  expect 1 "${err}space 'edgetpu': architecture text has 1 stage group" "$exe" --space edgetpu --decode "block=ibn"
  stdout_full "$exe" --known
  ;;
estimate)
  common
  expect 1 "${err}unknown target 'tpu9'" "$exe" --target tpu9 mobilenet_v2
  expect 2 "${err}--estimator: xx not in \\{sim,apm\\}" "$exe" --estimator xx mobilenet_v2
  expect 2 "${err}--format: xml not in" "$exe" --format xml mobilenet_v2
  expect 2 "${err}no model specs given" "$exe" --target coral-usb
  expect 1 "${err}--batch: cannot open '$work/none.txt'" "$exe" --batch "$work/none.txt"
  expect 1 "${err}model spec 'mobilenet_v9': unknown zoo model" "$exe" mobilenet_v9
  "$bin/accelnas-calibrate" --target pixel4-cpu --measurements "$ref" --max-evaluations 20 --out "$work/cpu.json" > /dev/null 2>&1
  expect 1 "${err}target 'coral-usb' needs an edgetpu config, got a cpu one" "$exe" --target coral-usb --config "$work/cpu.json" mobilenet_v2
  one_json "$exe" --target pixel4-cpu --format json mobilenet_v2 vgg16
  one_json "$exe" --target coral-usb --format json --per-op mnasnet_a1
  stdout_full "$exe" --target coral-usb mobilenet_v2
  ;;
calibrate)
  common --target coral-usb --measurements "$ref"
  expect 2 "${err}--target is required" "$exe" --measurements "$ref"
  expect 2 "${err}--holdout: must be a number in \\[0, 1\\), got 1.5" "$exe" --target coral-usb --measurements "$ref" --holdout 1.5
  expect 2 "${err}--starts: Value -1 not in range" "$exe" --target coral-usb --measurements "$ref" --starts -1
  expect 2 "${err}--max-evaluations: Value 0 not in range" "$exe" --target coral-usb --measurements "$ref" --max-evaluations 0
  expect 2 "${err}--estimator: xx not in" "$exe" --target coral-usb --measurements "$ref" --estimator xx
  expect 1 "${err}measurements '$src/CMakeLists.txt'.*missing column 'latency_ms'" "$exe" --target coral-usb --measurements "$src/CMakeLists.txt"
  expect 1 "${err}--order 'mobilenet_edgetpu<mobilenet_v9'.*mobilenet_v9" "$exe" --target pixel4-edgetpu --measurements "$ref" --order "mobilenet_edgetpu<mobilenet_v9"
  expect 1 "${err}target 'systolic-8x8-ws' has no free parameters" "$exe" --target systolic-8x8-ws --measurements "$ref"
  expect 0 "" "$exe" --target coral-usb --measurements "$ref" --max-evaluations 50 --out "$work/tpu.json"
  expect 1 "${err}--config: target 'pixel4-cpu' needs a cpu config, got an edgetpu one" "$exe" --target pixel4-cpu --measurements "$ref" --config "$work/tpu.json"
  expect 1 "${err}cannot write '$work/no/fit.json': folder '$work/no' does not exist" "$exe" --target coral-usb --measurements "$ref" --out "$work/no/fit.json"
  expect 1 "${err}cannot write '$work/fit.json': write: File too large" limited 1 "$exe" --target coral-usb --measurements "$ref" --max-evaluations 50 --out "$work/fit.json"
  label="no partial --out"; cases=$((cases + 1)); [ ! -e "$work/fit.json" ] || fail "fit.json was left behind"
  whole_or_absent "$work/tpu.json"
  ;;
train)
  common --model "$spec"
  expect 2 "${err}--model is required" "$exe" --epochs 1
  expect 2 "${err}--threads: Value 0 not in range 1 to 256" "$exe" --model "$spec" --threads 0
  expect 2 "${err}--threads: Value 300 not in range 1 to 256" "$exe" --model "$spec" --threads 300
  expect 2 "${err}--epochs: Value -1 not in range" "$exe" --model "$spec" --epochs -1
  expect 2 "${err}--batch: Value 0 not in range" "$exe" --model "$spec" --batch 0
  expect 2 "${err}--train-limit: Value -5 not in range" "$exe" --model "$spec" --train-limit -5
  expect 2 "${err}--channels: 2 not in \\{1,3\\}" "$exe" --model "$spec" --channels 2
  expect 2 "${err}--optimizer: lion not in" "$exe" --model "$spec" --optimizer lion
  expect 1 "${err}cannot open network file '$work/none.json'" "$exe" --model "$work/none.json"
  expect 1 "${err}" "$exe" --model "$spec" --json --data "$work/no-data"
  expect 1 "${err}--data nosuch:x: unknown data set 'nosuch'" "$exe" --model "$spec" --json --data nosuch:x
  one_json "$exe" --model "$spec" --epochs 1 --train-limit 256 --test-limit 128 --data "$fmnist" --json
  one_json "$exe" --model "$spec" --throughput 2 --json
  expect 1 "${err}cannot write '$work/no/m.ckpt': folder '$work/no' does not exist" "$exe" --model "$spec" --save "$work/no/m.ckpt"
  expect 1 "${err}cannot write '$work/m.ckpt': " limited 64 "$exe" --model "$spec" --epochs 1 --train-limit 128 --test-limit 64 --data "$fmnist" --json --save "$work/m.ckpt"
  label="no partial --save"; cases=$((cases + 1)); [ ! -e "$work/m.ckpt" ] || fail "m.ckpt was left behind"
  ;;
search)
  common --out "$work/x"
  expect 2 "${err}--out is required" "$exe" --budget 2
  expect 2 "${err}--budget: Value -5 not in range 1 to 1000000" "$exe" --budget -5 --out "$work/b"
  label="--budget -5 writes nothing"; cases=$((cases + 1)); [ ! -e "$work/b" ] || fail "the output folder was created"
  expect 2 "${err}--budget: Value 0 not in range" "$exe" --budget 0 --out "$work/b"
  expect 2 "${err}--threads: Value 0 not in range 1 to 256" "$exe" --threads 0 --out "$work/b"
  expect 2 "${err}--threads: Value 257 not in range 1 to 256" "$exe" --threads 257 --out "$work/b"
  expect 2 "${err}--train-images: Value -1 not in range" "$exe" --train-images -1 --out "$work/b"
  expect 2 "${err}--latency-ms: Value -3 not in range" "$exe" --latency-ms -3 --out "$work/b"
  expect 2 "${err}--quality: good not in" "$exe" --quality good --out "$work/b"
  expect 1 "${err}unknown target 'nosuch'" "$exe" --target nosuch --out "$work/b"
  expect 1 "${err}unknown search space 'nosuch'" "$exe" --space nosuch --out "$work/b"
  expect 1 "${err}unknown controller 'nosuch'" "$exe" --controller nosuch --out "$work/b"
  expect 1 "${err}--latency-ms has 2 values for 1 targets" "$exe" --latency-ms 3,4 --out "$work/b"
  expect 1 "${err}--data nosuch:x: unknown data set 'nosuch'" "$exe" --data nosuch:x --out "$work/b"
  label="bad arguments write nothing"; cases=$((cases + 1)); [ ! -e "$work/b" ] || fail "the output folder was created"
  expect 1 "${err}--out $src/include: is not empty and holds no search journal" "$exe" --out "$src/include" --quality none
  expect 1 "${err}--out $work/none: does not exist \\(nothing to resume\\)" "$exe" --out "$work/none" --resume --quality none
  # A full file system: every result file is whole or absent, and the run exits 1. Which result file
  # first passes 2 KB depends on the architectures found, so any of them may be the one named.
  expect 1 "${err}cannot write '$work/full/(results\\.csv|results\\.json|pareto\\.svg|best\\.json)': write: File too large" limited 2 "$exe" --quality none --budget 4 --threads 1 --out "$work/full"
  whole_or_absent "$work/full/results.csv" "$work/full/results.json" "$work/full/pareto.svg" "$work/full/best.json"
  label="the journal survives a full disk"; cases=$((cases + 1)); [ "$(wc -l < "$work/full/journal")" -eq 5 ] || fail "journal: $(wc -l < "$work/full/journal") lines"
  expect 0 "" "$exe" --quality none --budget 4 --threads 1 --out "$work/full" --resume
  whole_or_absent "$work/full/results.csv" "$work/full/results.json" "$work/full/pareto.svg" "$work/full/best.json"
  stdout_full "$exe" --quality none --budget 2 --out "$work/tofull"
  ;;
*) echo "unknown tool $tool"; exit 2;;
esac
echo "accelnas-$tool: $cases cases, $failures failed"
[ "$failures" -eq 0 ]
