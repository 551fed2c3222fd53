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
a=$("$bin/accelnas-info" --format csv "mnasnet:$arch" | tail -1 | cut -d, -f3-6)
b=$("$bin/accelnas-info" --format csv "$out/search/best.onnx" | tail -1 | cut -d, -f3-6)
echo "best architecture: ops,MACs,params,BN $a; best.onnx imported: $b"
test "$a" = "$b"
"$case" "mnasnet:$arch@64" "$out/searched"
