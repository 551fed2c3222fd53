# Pieces shared by the search evidence scripts (source this file; it runs nothing by itself).

# search_run TOOL OUT NAME ARGS...: TOOL ARGS --out OUT/NAME (a fresh directory), its output in
# OUT/NAME.log and OUT/NAME.err, timed with /usr/bin/time -v into OUT/NAME.time (CPU and wall time).
search_run() {
  local tool=$1 out=$2 name=$3; shift 3
  rm -rf "${out:?}/$name"
  /usr/bin/time -v -o "$out/$name.time" "$tool" "$@" --out "$out/$name" > "$out/$name.log" 2> "$out/$name.err"
}

# start_load_sampler OUT: appends "<epoch seconds> <1-minute load average>" to OUT/load.txt every 10 s
# until the calling script exits (the machine is shared: times mean little without the load beside them).
start_load_sampler() {
  : > "$1/load.txt"
  (while true; do echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg)" >> "$1/load.txt"; sleep 10; done) &
  load_sampler_pid=$!
  trap 'kill $load_sampler_pid 2>/dev/null || true' EXIT
}
