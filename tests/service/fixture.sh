#!/usr/bin/env bash
# ctest fixture of the latency service tests: `fixture.sh start SERVE DIR [ARGS...]` starts accelnas-serve
# on an ephemeral loopback port with a fresh token (DIR/port, DIR/token, DIR/server.log) and returns once it
# serves; `fixture.sh stop DIR` sends SIGTERM and checks that the server drained and exited with status 0.
set -euo pipefail
cmd=$1
case "$cmd" in
start)
  serve=$2 dir=$3
  shift 3
  rm -rf "$dir" && mkdir -p "$dir"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/token"
  chmod 600 "$dir/token"
  # The wrapper subshell outlives this script: it records the server's pid and, later, its exit status.
  (
    "$serve" --listen 127.0.0.1:0 --port-file "$dir/port" --token-file "$dir/token" "$@" > "$dir/server.log" 2>&1 &
    echo $! > "$dir/pid"
    wait $! && echo 0 > "$dir/rc" || echo $? > "$dir/rc"
  ) > /dev/null 2>&1 &
  for _ in $(seq 1 300); do
    [[ -s "$dir/port" ]] && { echo "service fixture: serving on port $(cat "$dir/port")"; exit 0; }
    [[ -s "$dir/rc" ]] && break
    sleep 0.1
  done
  echo "service fixture: the server did not start"; cat "$dir/server.log"; exit 1 ;;
stop)
  dir=$2
  [[ -s "$dir/pid" ]] || { echo "service fixture: no server to stop"; exit 1; }
  kill -TERM "$(cat "$dir/pid")"
  for _ in $(seq 1 600); do
    if [[ -s "$dir/rc" ]]; then
      cat "$dir/server.log"
      rc=$(cat "$dir/rc")
      [[ "$rc" == 0 ]] && { echo "service fixture: server stopped with status 0"; exit 0; }
      echo "service fixture: server exited with status $rc"; exit 1
    fi
    sleep 0.1
  done
  echo "service fixture: the server did not stop within 60 s"; exit 1 ;;
*) echo "usage: fixture.sh start SERVE DIR [ARGS...] | stop DIR"; exit 2 ;;
esac
