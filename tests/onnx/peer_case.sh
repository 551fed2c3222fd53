#!/bin/bash
# The peer model with trained weights: a short accelnas-train run saves a checkpoint; onnx_export_case
# writes the export case from it (for opencv_check.py), and accelnas-export --weights must write the
# very same ONNX file from the same checkpoint; the same for the int8 QDQ export (--int8).
# usage: peer_case.sh BIN_DIR(tools) EXPORT_CASE SOURCE_DIR OUT_DIR FMNIST_DIR
set -euo pipefail
bin=$1 case=$2 src=$3 out=$4 fmnist=$5
spec=$src/examples/specs/peer_mbconv.json
mkdir -p "$out"
"$bin/accelnas-train" --model "$spec" --epochs 1 --train-limit 2000 --test-limit 500 --data "$fmnist" \
  --save "$out/peer.ckpt" --json
"$case" "$spec" "$out/peer" "$out/peer.ckpt" 1
"$bin/accelnas-export" --model "$spec" --weights "$out/peer.ckpt" --out "$out/peer_tool.onnx"
cmp "$out/peer.onnx" "$out/peer_tool.onnx"
echo "accelnas-export --weights wrote the same model as the export case"
# int8 QDQ, calibrated on 256 Fashion-MNIST training images (the tool's default with --weights)
"$case" "$spec" "$out/peer_int8" "$out/peer.ckpt" 1 --int8
"$bin/accelnas-export" --model "$spec" --weights "$out/peer.ckpt" --out "$out/peer_int8_tool.onnx" --int8 --data "$fmnist"
cmp "$out/peer_int8.onnx" "$out/peer_int8_tool.onnx"
echo "accelnas-export --weights --int8 wrote the same model as the int8 export case"
