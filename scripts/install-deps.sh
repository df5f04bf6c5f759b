#!/usr/bin/env bash
# Installs the Debian 12 packages heat builds and tests with, only those missing.
# Idempotent: a machine that already has everything runs no apt-get at all.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsystemc-dev libconfig-dev libgsl-dev libcmocka-dev
  liblapacke-dev libopenblas-dev
  gnuplot-nox python3-numpy
  libopenmpi-dev openmpi-bin
)
# make fuzz builds with clang (libFuzzer); the default build stays on gcc.
if [ "${HEAT_FUZZ:-0}" = 1 ]; then packages+=(clang); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
