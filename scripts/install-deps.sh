#!/usr/bin/env bash
# Install the Debian packages qkt needs, when missing.  As root: apt-get them.
# Otherwise: print the exact command and stop.
#   bash scripts/install-deps.sh            build and test (make build, make test)
#   bash scripts/install-deps.sh fuzz       + clang, libFuzzer runtime, libomp (make fuzz)
#   bash scripts/install-deps.sh valgrind   + valgrind (.ci/run)
# Several modes may be given at once.
set -euo pipefail
pkgs=(build-essential cmake pkg-config python3 liblapacke-dev libopenblas-dev libinih-dev
      libcjson-dev zlib1g-dev libcubature-dev libsymspg-dev gnuplot-nox libopenmpi-dev openmpi-bin
      python3-numpy)
for mode in "$@"; do
  case "$mode" in
    # clang's libFuzzer and sanitizer runtimes are in libclang-rt-dev, OpenMP for
    # clang in libomp-dev, llvm-symbolizer (readable stacks) in llvm
    fuzz) pkgs+=(clang libclang-rt-dev libomp-dev llvm) ;;
    valgrind) pkgs+=(valgrind) ;;
    *) echo "install-deps.sh: unknown mode '$mode' (fuzz, valgrind)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "qkt needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
