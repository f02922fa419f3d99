#!/usr/bin/env bash
# Installs the Debian 12 packages slatetrain needs to build, test and run, where missing.
# The CUDA toolkit (nvcc, cuBLAS, cuDNN, NCCL) is expected at /usr/local/cuda already.
# Usage: launch/install-dependencies.sh [--bench]   (--bench adds python3-torch for bench/)
set -euo pipefail

packages=(build-essential cmake pkg-config git
          openmpi-bin libopenmpi-dev
          libhdf5-dev hdf5-tools
          libyaml-cpp-dev libopenblas-dev nlohmann-json3-dev zlib1g-dev libssl-dev
          libgtest-dev patchelf libcli11-dev libfaiss-dev
          clang libclang-rt-14-dev
          slurm-wlm munge
          python3 python3-numpy python3-pip python3-matplotlib)
if [[ "${1:-}" == "--bench" ]]; then packages+=(python3-torch); fi

missing=()
for package in "${packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] ||
    missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "install-dependencies: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-dependencies: installing ${missing[*]}"
sudo_command=()
if [[ $(id -u) -ne 0 ]]; then sudo_command=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_command[@]}" apt-get update -q
"${sudo_command[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
