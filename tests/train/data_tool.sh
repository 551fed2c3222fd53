#!/usr/bin/env bash
# accelnas-train on users' own data, files written here: --data cifar10:DIR, cifar100:DIR and
# folder:DIR (PNG files written by a small zlib-based encoder), with a validation split; bad
# --data values are errors (exit 1, one line on stderr).
# Usage: data_tool.sh ACCELNAS_TRAIN SPEC WORKDIR
set -euo pipefail
exe=$1 spec=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 - "$work" <<'PY'
import os, random, struct, sys, zlib
w = sys.argv[1]
random.seed(7)
def image(k):  # class k: a colour, with noise; 32x32 planar R, G, B
    base = [200 if (k >> c) & 1 else 40 for c in range(3)]
    return bytes(max(0, min(255, base[c] + random.randint(-30, 30))) for c in range(3) for _ in range(1024))
os.makedirs(f"{w}/c10"); os.makedirs(f"{w}/c100")
for i in range(1, 6):
    with open(f"{w}/c10/data_batch_{i}.bin", "wb") as f:
        for j in range(40):
            k = (i + j) % 8 % 10
            f.write(bytes([k]) + image(k))
with open(f"{w}/c10/test_batch.bin", "wb") as f:
    for j in range(50):
        f.write(bytes([j % 8]) + image(j % 8))
for name, n in (("train", 200), ("test", 40)):
    with open(f"{w}/c100/{name}.bin", "wb") as f:
        for j in range(n):
            k = j % 8
            f.write(bytes([k, 90 + k]) + image(k))
def png(path, rows, cols, rgb):
    raw = b"".join(b"\0" + rgb[r * cols * 3:(r + 1) * cols * 3] for r in range(rows))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for part, n in (("train", 30), ("test", 6)):
    for k, cls in enumerate(["red", "green", "yellow"]):
        os.makedirs(f"{w}/folder/{part}/{cls}")
        for j in range(n):
            planar = image(k + 1)
            rgb = bytes(planar[c * 1024 + p] for p in range(0, 1024, 4) for c in range(3))  # 16x16 of every 4th pixel
            png(f"{w}/folder/{part}/{cls}/{j:03d}.png", 16, 16, rgb)
os.makedirs(f"{w}/emptyclass/a"); os.makedirs(f"{w}/emptyclass/b")
png(f"{w}/emptyclass/a/x.png", 4, 4, bytes(48))
PY
run() { "$exe" --model "$spec" --epochs 2 --batch 32 --json "$@"; }
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
out=$(run --data "cifar10:$work/c10" --validation 0.2 --shift 4 2> "$work/c10.err")
echo "cifar10: $out"
[[ $(echo "$out" | field val_acc) != 0 ]]
echo "$out" | field test_acc > /dev/null
grep -q "epoch  2 .*val_acc" "$work/c10.err"
out=$(run --data "cifar100:$work/c100" --validation 0.1 2> /dev/null)
echo "cifar100: $out"
out=$(run --data "folder:$work/folder" --validation 0.1 --image-size 24 --image-cache "$work/folder.cache" 2> /dev/null)
echo "folder: $out"
test -s "$work/folder.cache"
run --data "folder:$work/folder" --validation 0.1 --image-size 24 --image-cache "$work/folder.cache" > /dev/null 2>&1
# Bad input: exit 1 and a one-line message naming the problem.
expect() {
  local want=$1; shift
  set +e; "$@" > "$work/out" 2> "$work/err"; local rc=$?; set -e
  [[ $rc == 1 && ! -s "$work/out" ]] && grep -q -- "$want" "$work/err" && [[ $(wc -l < "$work/err") == 1 ]] ||
    { echo "FAIL ($rc): $* -> $(cat "$work/err")" >&2; exit 1; }
}
expect "unknown data set 'nosuch'" run --data nosuch:x
expect "cifar10 needs its folder" run --data cifar10:
expect "data_batch_1.bin' does not exist" run --data "cifar10:$work/c100"
expect "holds no images" run --data "folder:$work/emptyclass"
expect "are RGB (3 channels)" run --data "cifar10:$work/c10" --channels 1
head -c 5000 "$work/c10/data_batch_2.bin" > "$work/c10/trunc" && mv "$work/c10/trunc" "$work/c10/data_batch_2.bin"
expect "not a whole number of 3073-byte records" run --data "cifar10:$work/c10"
echo "OK"
