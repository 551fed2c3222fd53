#!/usr/bin/env bash
# Bad input to `mpirun accelnas-search`: each case fails before anything is written, with one message
# (from rank 0) that names what is wrong and, for a worker's fault, the worker's rank and host.
# usage: bad_input.sh <accelnas-search> <mpirun.sh> <scratch dir> <case>
#   case: np-over-budget | worker-data | options | binary
set -euo pipefail
tool=$1 mpirun=$2 work=$3 case=$4
rm -rf "$work" && mkdir -p "$work"
args=(--space edgetpu --target coral-usb --budget 2 --train-images 64 --test-images 64 --epochs 1 --no-baselines --out "$work/out")
case $case in
  np-over-budget)
    cmd=("$mpirun" -np 4 "$tool" "${args[@]}")
    expect="mpirun -np 4 starts 3 workers for a --budget of 2 candidates: use at most -np 3" ;;
  worker-data)  # rank 2 cannot read the data set
    cmd=("$mpirun" -np 2 "$tool" "${args[@]}" : -np 1 "$tool" "${args[@]}" --fmnist "$work/no-such-dir")
    expect="rank 2 on host [^:]+: .*no-such-dir" ;;
  options)      # rank 1 was given another seed
    cmd=("$mpirun" -np 1 "$tool" "${args[@]}" : -np 1 "$tool" "${args[@]}" --seed 9)
    expect="rank 1 on host [^:]+: was given other options than rank 0 \(/config/seed = 9 \(rank 0: 1\)\)" ;;
  binary)       # rank 1 runs another build (a copy with one more byte: still runnable, another hash)
    cp "$tool" "$work/other-build" && printf 'x' >> "$work/other-build"
    cmd=("$mpirun" -np 1 "$tool" "${args[@]}" : -np 1 "$work/other-build" "${args[@]}")
    expect="rank 1 on host [^:]+: runs another executable than rank 0" ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
rc=0; "${cmd[@]}" > "$work/log" 2>&1 || rc=$?
cat "$work/log"
[ "$rc" -ne 0 ] || { echo "FAIL: exit status 0"; exit 1; }
n=$(grep -cE "accelnas-search: error: $expect" "$work/log" || true)
[ "$n" -eq 1 ] || { echo "FAIL: expected the message once, found it $n times: $expect"; exit 1; }
[ "$(grep -c "error" "$work/log")" -eq 1 ] || { echo "FAIL: more than one error message"; exit 1; }
[ ! -e "$work/out" ] || { echo "FAIL: $work/out was created"; exit 1; }
echo "PASS: $case"
