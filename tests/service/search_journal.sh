#!/usr/bin/env bash
# A search priced by the fixture's accelnas-serve (--estimator-server) writes the same journal as the
# same search priced in process: same candidates, latencies, rewards (the wall-clock "seconds" aside).
# usage: search_journal.sh <accelnas-search> <fixture dir> <scratch dir>
set -euo pipefail
tool=$1 fx=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
args=(--space edgetpu --target coral-usb,pixel4-edgetpu --controller reinforce --estimator sim --budget 8 --threads 2
      --seed 11 --quality none)
"$tool" "${args[@]}" --out "$work/local" > "$work/local.log" 2>&1 || { cat "$work/local.log"; exit 1; }
ACCELNAS_SERVICE_TOKEN_FILE="$fx/token" "$tool" "${args[@]}" --estimator-server "127.0.0.1:$(cat "$fx/port")" \
  --out "$work/remote" > "$work/remote.log" 2>&1 || { cat "$work/remote.log"; exit 1; }
strip() { sed -E 's/"seconds":[^,}]*//' "$1" | sort; }  # candidates of a round are journaled in any order
if ! diff <(strip "$work/local/journal") <(strip "$work/remote/journal"); then
  echo "FAIL: the journals differ"; exit 1
fi
[[ $(wc -l < "$work/local/journal") -eq 9 ]] || { echo "FAIL: expected a header and 8 candidates"; exit 1; }
# ... and the remote run did go through the server: with a wrong token it fails
echo wrong > "$work/wrong-token"
if ACCELNAS_SERVICE_TOKEN_FILE="$work/wrong-token" "$tool" "${args[@]}" --estimator-server "127.0.0.1:$(cat "$fx/port")" \
     --out "$work/wrong" > "$work/wrong.log" 2>&1 || ! grep -q UNAUTHENTICATED "$work/wrong.log"; then
  echo "FAIL: a wrong token was not refused"; cat "$work/wrong.log"; exit 1
fi
echo "same journal: $(($(wc -l < "$work/local/journal") - 1)) candidates"
