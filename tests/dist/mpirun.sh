#!/usr/bin/env bash
# mpirun as the MPI tests and bench/mpi_scale.sh need it: --oversubscribe (more ranks than cores on a
# small machine), --allow-run-as-root only when running as root (CI does), and a clear message when
# Open MPI's launcher is not installed.
# usage: mpirun.sh <mpirun arguments...>      ($ACCELNAS_MPIRUN overrides the launcher)
set -euo pipefail
launcher=${ACCELNAS_MPIRUN:-mpirun}
if ! command -v "$launcher" > /dev/null; then
  echo "mpirun.sh: '$launcher' not found: install Open MPI's launcher (openmpi-bin, see cmake/install-deps.sh);" \
       "accelnas-search still runs as one process without it" >&2
  exit 127
fi
extra=(--oversubscribe)
if [ "$(id -u)" -eq 0 ]; then extra+=(--allow-run-as-root); fi
exec "$launcher" "${extra[@]}" "$@"
