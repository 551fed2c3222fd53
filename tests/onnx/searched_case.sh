#!/bin/bash
# A searched architecture: a short latency-only accelnas-search writes best.json and best.onnx;
# best.onnx must import with the MACs of the best architecture's spec, and onnx_export_case writes
# the export case of that architecture at 64x64 (for opencv_check.py).
# usage: searched_case.sh BIN_DIR(tools) EXPORT_CASE OUT_DIR
set -euo pipefail
bin=$1 case=$2 out=$3
rm -rf "$out/search"
"$bin/accelnas-search" --space mnasnet --controller random --budget 4 --quality none --no-baselines --seed 3 \
  --out "$out/search" > /dev/null
test -s "$out/search/best.onnx"
arch=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['best']['arch'])" "$out/search/best.json")
figures() {  # ops MACs params BN of one spec
  "$bin/accelnas-info" --format json "$1" |
    /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)[0]; print(r['ops'], r['macs'], r['params'], r['bn_params'])"
}
a=$(figures "mnasnet:$arch")
b=$(figures "$out/search/best.onnx")
echo "best architecture: ops MACs params BN $a; best.onnx imported: $b"
test "$a" = "$b"
"$case" "mnasnet:$arch@64" "$out/searched"
