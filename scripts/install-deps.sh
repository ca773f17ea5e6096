#!/usr/bin/env bash
# Installs, from Debian's packages, whatever faultline needs that is missing, and says what it
# did. Idempotent: on a machine that has everything it installs nothing.
#   scripts/install-deps.sh          build + simulator dependencies, lld (scripts/test-all.sh
#                                    links with it), curl (the payments service's test) and jq
#                                    (faultline limit's)
#   scripts/install-deps.sh --servers   also redis-server, PostgreSQL 15, and Slurm with munge
#                                       (scripts/slurm-cluster.sh) for the tests, and chromium
#                                       for the HTML timeline's test (ctest -L html)
#   scripts/install-deps.sh --fuzz      also clang 14 and its libFuzzer runtime (scripts/fuzz.sh)
#   scripts/install-deps.sh --profile   also valgrind (scripts/profile.sh)
# The flags combine: --servers --fuzz (CI's set).
set -euo pipefail
packages=(g++ lld cmake ninja-build pkg-config libboost1.81-dev librapidcheck-dev libfmt-dev
          libgtest-dev libgmock-dev libbenchmark-dev libhiredis-dev libpq-dev libcli11-dev
          nlohmann-json3-dev curl jq)
for flag in "$@"; do
  case "$flag" in
    --servers) packages+=(redis-server redis-tools postgresql-15 slurm-wlm munge chromium) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    --profile) packages+=(valgrind) ;;
    *) echo "install-deps: unknown flag $flag" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${#missing[@]} package(s)"
