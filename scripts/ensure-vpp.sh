#!/usr/bin/env bash
# A real VPP for the real-VPP test tier (test/vpp-real) and bench:real. Prints its install prefix
# (PREFIX/bin/vpp, PREFIX/bin/vppctl, the plugins under PREFIX/lib) on stdout, or nothing and why
# not on stderr (exit 3). Where it comes from, first found:
#   1. $FIBMGR_VPP_PREFIX (it must hold one)
#   2. a `vpp` on PATH (with vppctl beside it and its plugins folder)
#   3. ../shared/vpp/real/build-vpp.sh beside the clone, which builds the pinned VPP source once per
#      machine (~10 min on 2 cores, cached under /var/cache/fibmgr) — the one place the project
#      looks outside itself, and only here: without it the tier is skipped, loudly.
#   ensure-vpp.sh [--pretest]     --pretest: always exit 0 (npm's pretest must not stop the tests)
set -uo pipefail
pretest=0; [[ ${1:-} == --pretest ]] && pretest=1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
none() { echo "ensure-vpp: $1" >&2; ((pretest)) && exit 0; exit 3; }

plugins_of() { # the plugins folder of an install prefix
  local d
  for d in "$1/lib/x86_64-linux-gnu/vpp_plugins" "$1/lib/aarch64-linux-gnu/vpp_plugins" "$1/lib/vpp_plugins" "$1/lib64/vpp_plugins"; do
    [[ -d $d ]] && { echo "$d"; return 0; }
  done
  return 1
}
usable() { [[ -x $1/bin/vpp && -x $1/bin/vppctl ]] && plugins_of "$1" >/dev/null; }

build=$repo/../shared/vpp/real/build-vpp.sh
if [[ -n ${FIBMGR_VPP_PREFIX:-} ]]; then
  usable "$FIBMGR_VPP_PREFIX" && { echo "$FIBMGR_VPP_PREFIX"; exit 0; }
  none "FIBMGR_VPP_PREFIX=$FIBMGR_VPP_PREFIX holds no bin/vpp, bin/vppctl and plugins folder"
elif vpp=$(command -v vpp 2>/dev/null); then
  prefix=$(dirname "$(dirname "$(readlink -f "$vpp")")")
  usable "$prefix" && { echo "$prefix"; exit 0; }
  none "the vpp on PATH ($vpp) has no vppctl beside it or no plugins folder under $prefix/lib"
elif [[ ! -f $build ]]; then
  none "no VPP: set FIBMGR_VPP_PREFIX, put vpp on PATH, or place VPP's source at ../shared/vpp/real (build-vpp.sh)"
fi

# Build (or find built) the pinned source. build-vpp.sh wipes its prefix when it starts, so two
# builds must never overlap: one lock for every caller, and a build started by hand is waited for.
[[ $(id -u) -eq 0 ]] || none "building VPP needs root (apt packages, /var/cache/fibmgr); not root"
mkdir -p /var/cache/fibmgr
exec 9>/var/cache/fibmgr/vpp-build.lock
flock 9
others() { pgrep -f 'build-vpp\.sh' >/dev/null; }
if others; then
  echo "ensure-vpp: a VPP build is already running; waiting for it" >&2
  while others; do sleep 5; done
fi
out=$(bash "$build") || none "building VPP with $build failed (see above)"
prefix=$(tail -n1 <<<"$out")
usable "$prefix" || none "build-vpp.sh printed $prefix, which holds no usable VPP"
echo "$prefix"
