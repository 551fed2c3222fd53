#!/usr/bin/env bash
# accelnas-search with stderr into a pipe: one plain progress line per tenth of the budget, no '\r'.
# Usage: progress_pipe.sh <accelnas-search> <scratch dir>
set -euo pipefail
tool=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir"
"$tool" --out "$dir/run" --budget 20 --quality none --no-baselines 2>&1 >/dev/null | cat > "$dir/stderr"
if grep -q $'\r' "$dir/stderr"; then echo "carriage return in piped progress:"; cat -A "$dir/stderr"; exit 1; fi
n=$(grep -c '^progress [0-9]*/20 ' "$dir/stderr" || true)
if [[ $n -ne 10 ]]; then echo "expected 10 progress lines (every 2 of 20), got $n:"; cat "$dir/stderr"; exit 1; fi
grep -q '^progress 20/20 100% ' "$dir/stderr"
echo "ok: $n plain progress lines"
