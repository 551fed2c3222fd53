#!/bin/bash
# --unsupported host on the tools: models written by python3-onnx (host_model.py) with a TopK (and a
# Tanh) in the middle. Without the flag accelnas-estimate refuses them listing the ops; with it the
# TopK is the partition point on coral-usb (conv1 on the device, everything from the TopK on the
# host CPU), the total includes the host time and the host-link transfer of conv1's output
# (16 x 32 x 32 int8 bytes), and an --unsupported value other than error/host is a usage error. Also
# accelnas-export --int8 on a network the int8 engine cannot quantize.
# usage: host_case.sh BIN_DIR(tools) SOURCE_DIR OUT_DIR
set -euo pipefail
bin=$1 src=$2 out=$3
mkdir -p "$out"
/usr/bin/python3 "$src/tests/onnx/host_model.py" "$out"
cd "$out"
if "$bin/accelnas-estimate" --target coral-usb topk_tanh.onnx 2> err.txt; then echo "no error without --unsupported host"; exit 1; fi
cat err.txt
grep -q "2 ops with no accelnas IR counterpart" err.txt
grep -q "TopK (node 'topk')" err.txt
grep -q "Tanh (node 'tanh2')" err.txt
set +e
"$bin/accelnas-estimate" --target coral-usb --unsupported cpu topk.onnx 2> err.txt
rc=$?
set -e
cat err.txt
test $rc -eq 2
grep -q "\-\-unsupported 'cpu': expected 'error'" err.txt
if "$bin/accelnas-estimate" --target coral-usb --unsupported host topk_einsum.onnx 2> err.txt; then exit 1; fi
cat err.txt
grep -q "Einsum node 'mix': dim 0 of its output 'e' is not known statically" err.txt
"$bin/accelnas-info" --unsupported host --per-op topk_tanh.onnx
for est in sim apm; do
  for m in topk topk_tanh; do
    "$bin/accelnas-estimate" --target coral-usb --estimator $est --unsupported host --per-op $m.onnx
    "$bin/accelnas-estimate" --target coral-usb --estimator $est --unsupported host --per-op --format json $m.onnx > $m.$est.json
    /usr/bin/python3 - $m.$est.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))[0]
ops = {o['name']: o for o in r['ops']}
assert ops['topk']['kind'] == 'opaque' and ops['topk']['where'] == 'host_cpu', ops['topk']
assert r['first_host_op'] == ops['topk']['index']
assert ops['conv1']['where'] == 'accelerator'
for o in r['ops']:
    assert (o['where'] == 'host_cpu') == (o['index'] >= ops['topk']['index']), o
host = sum(o['seconds'] for o in r['ops'] if o['where'] == 'host_cpu')
assert abs(r['host_seconds'] - host) <= 1e-12 + 1e-9 * host, (r['host_seconds'], host)
assert r['output_bytes'] == 16 * 32 * 32, r['output_bytes']   # conv1's output crosses to the host
assert r['total_seconds'] > r['host_seconds'] + r['io_seconds']
print(f"{sys.argv[1]}: partition at op {r['first_host_op']} (topk), host {1e3 * r['host_seconds']:.3f} ms, "
      f"host link {1e3 * r['io_seconds']:.3f} ms, total {1e3 * r['total_seconds']:.3f} ms")
PY
  done
done
# accelnas-export --int8 with a network the int8 engine cannot quantize (a dense layer over 64x64x20
# features could overflow int32 accumulation): a clear error naming the op, exit 1, nothing written.
cat > wide.json <<'JSON'
{"schema": "accelnas.network", "version": 1, "name": "wide", "ops": [
 {"name": "input", "kind": "input", "shape": [1, 64, 64, 20]},
 {"name": "fc", "kind": "fully_connected", "inputs": ["input"], "units": 10, "bias": true, "batch_norm": false,
  "activation": "none"}]}
JSON
rm -f wide_int8.onnx
set +e
"$bin/accelnas-export" --model wide.json --out wide_int8.onnx --int8 2> err.txt
rc=$?
set -e
cat err.txt
test $rc -eq 1
grep -q "op 'fc' accumulates 81920 products per output; int32 accumulation could overflow" err.txt
test ! -e wide_int8.onnx
