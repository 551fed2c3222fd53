#!/usr/bin/env bash
# Where the build's time goes: configures a fresh build in BUILD_DIR (default build-times) with a
# compiler launcher that logs each compile's and link's start and end, builds it with -j2, and prints
# the compiler time (wall seconds per invocation, summed) by group, with the build's wall time:
#   bash bench/compile_times.sh [BUILD_DIR] [extra cmake options...]
# e.g. the g++ leg of .ci/run:   bash bench/compile_times.sh build-times -DACCELNAS_WERROR=ON
# Run it on an otherwise idle machine: the times are wall seconds of each compiler process.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build-times}
shift || true
[ ! -e "$dir" ] || { echo "compile_times.sh: $dir exists; give a new build directory" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
log=$dir/compile_times.log
launcher=$dir/timed_launcher.sh
cat > "$launcher" <<EOF
#!/usr/bin/env bash
s=\$(date +%s.%N)
"\$@"; rc=\$?
e=\$(date +%s.%N)
out=""; prev=""
for a in "\$@"; do [ "\$prev" = "-o" ] && out=\$a; prev=\$a; done
echo "\$s \$e \$PWD/\$out" >> "$log"
exit \$rc
EOF
chmod +x "$launcher"
cmake -S "$here" -B "$dir" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" -DCMAKE_CXX_LINKER_LAUNCHER="$launcher" "$@" > "$dir/configure.log"
start=$(date +%s.%N)
cmake --build "$dir" -j2 > "$dir/build.log"
end=$(date +%s.%N)
awk -v wall="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" -v top="$dir" '
  { d = $2 - $1; o = substr($3, length(top) + 1); g = "other"
    if (o !~ /\.o$/) g = "links"
    else if (o ~ /verify_interface/) g = "per-header checks (ACCELNAS_VERIFY_HEADERS)"
    else if (o ~ /CMakeFiles\/(test_(onnx|service|dist_mpi)|onnx_export_case|accelnas_service|accelnas-serve|accelnas-export)/) g = "optional parts (service, ONNX, MPI) and their tests"
    else if (o ~ /CMakeFiles\/(test_|accelnas_static_checks)/) g = "part tests (tests/<part>, tests/static)"
    else if (o ~ /^\/bench\//) g = "benchmarks"
    else if (o ~ /^\/examples\//) g = "examples and tools"
    s[g] += d; n[g]++; t += d }
  END { for (k in s) printf "%8.0f s %4d  %s\n", s[k], n[k], k | "sort -rn"; close("sort -rn")
        printf "%8.0f s %4d  all compiler time\n%8.0f s        build wall time (-j2)\n", t, NR, wall }' "$log"
