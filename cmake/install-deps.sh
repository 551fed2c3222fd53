#!/usr/bin/env bash
# Installs the Debian 12 packages accelnas needs to build its tests, examples and benchmarks, with g++ 12
# (build-essential) and with clang 19 (clang-19; Debian's default clang 14 lacks floating-point template
# parameters; libclang-rt-19-dev holds its sanitizer runtimes for the ASan+UBSan test).
# Idempotent: packages already installed are skipped and apt is not touched when nothing is missing.
# Usage: cmake/install-deps.sh [--with-peer]   (--with-peer adds python3-torch for bench/vs_pytorch.sh)
set -euo pipefail
pkgs=(build-essential clang-19 libclang-rt-19-dev cmake libeigen3-dev libxtensor-dev nlohmann-json3-dev catch2 libbenchmark-dev
      libcli11-dev dataset-fashion-mnist zlib1g-dev libpng-dev libjpeg62-turbo-dev
      # the optional latency service (accelnas-serve) and its Python client
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler python3-grpcio python3-protobuf
      # optional ONNX import/export (accelnas::onnx) and its checks against PyTorch, ONNX's checker and OpenCV
      libonnx-dev python3-onnx python3-opencv python3-torch python3-torchvision)
pkgs+=(libopenmpi-dev openmpi-bin)  # the optional distributed search (accelnas::mpi, mpirun accelnas-search)
pkgs+=(time)  # /usr/bin/time -v: CPU and wall time of the bench/ search evidence scripts
if [[ "${1:-}" == "--with-peer" ]]; then pkgs+=(python3-torch python3-numpy); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
