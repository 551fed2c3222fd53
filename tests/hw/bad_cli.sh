#!/usr/bin/env bash
# accelnas-estimate on the inputs issue 11 named: each exits 1 with an accelnas::error naming what is
# wrong (no negative, infinite or NaN latency printed with exit 0), and prints no latency.
# Usage: bad_cli.sh ACCELNAS_ESTIMATE WORKDIR
set -uo pipefail
exe=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
fails=0
# expect REGEX ARGS...: the tool exits 1, its stderr matches REGEX and its stdout is empty
expect() {
  local re=$1; shift
  "$@" > "$work/out" 2> "$work/err"; local got=$?
  if [[ $got -ne 1 ]] || ! grep -Eq -- "$re" "$work/err" || [[ -s "$work/out" ]]; then
    echo "FAIL: $* -> exit $got (expected 1), stdout:"; cat "$work/out"; echo "stderr:"; cat "$work/err"; fails=$((fails + 1))
  fi
}
config() { printf '{"schema": "accelnas.hw_config", "kind": "edgetpu", %s}\n' "$2" > "$work/$1.json"; echo "$work/$1.json"; }
expect "rows must be in \[1, 65536\], got 4.61169e\+18" "$exe" --target systolic-4611686018427387904x4611686018427387904-os mobilenet_v1
expect "host_bytes_per_second must be in \[1000, 1e\+13\], got 1e-06" "$exe" --config "$(config link '"host_bytes_per_second": 1e-6')" mobilenet_v1
expect "clock_hz must be in \[1000, 1e\+11\], got 1e-300" "$exe" --config "$(config clock '"clock_hz": 1e-300')" mobilenet_v1
expect "tiles: must be an integer, got 16.9" "$exe" --config "$(config tiles '"tiles": 16.9')" mobilenet_v1
expect "tiles: must be an integer, got 16.9" "$exe" --estimator apm --config "$(config tiles2 '"tiles": 16.9')" mobilenet_v1
[[ $fails -eq 0 ]] && echo "OK: bad estimate inputs" || { echo "$fails failure(s)"; exit 1; }
