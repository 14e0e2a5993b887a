#!/usr/bin/env bash
# FRR of other Debian releases for the live tests: a root tree made with debootstrap from Debian's
# mirror (the one apt uses on this machine), with that release's `frr` installed in it. The tests
# run its daemons in their namespace through chroot (start-lab.sh -r ROOT).
#
#   ensure-frr-root.sh            both trees the tests use:
#     trixie → $FIBMGR_FRR10_ROOT   (default /var/cache/fibmgr/frr10-root): Debian 13, FRR 10.3
#     forky  → $FIBMGR_FRRNEW_ROOT  (default /var/cache/fibmgr/frr-testing-root): Debian testing,
#              a newer FRR 10 (10.4 and later read route notifications; 10.3 cannot, see README)
#   ensure-frr-root.sh SUITE DIR  one tree
#
# The trees are caches outside the clone: only the first run pays (~40 s each here). Prints
# nothing when they are there already.
set -euo pipefail
if [[ $# -eq 0 ]]; then
  "$0" trixie "${FIBMGR_FRR10_ROOT:-/var/cache/fibmgr/frr10-root}"
  "$0" forky "${FIBMGR_FRRNEW_ROOT:-/var/cache/fibmgr/frr-testing-root}"
  exit 0
fi
suite=$1 root=$2
if [[ -x $root/usr/lib/frr/zebra && -x $root/usr/lib/frr/staticd && -x $root/usr/bin/vtysh && -f $root/.fibmgr-ready ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-frr-root: no FRR root tree at $root and not root: the live tests against $suite's FRR cannot run" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq debootstrap >/dev/null
fi
# the mirror apt is configured with here (deb822 or one-line sources), else Debian's own
mirror=$(grep -hoE 'https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
echo "ensure-frr-root: making a Debian $suite root tree with FRR at $root from $mirror (first run only)" >&2
rm -rf "$root.tmp"
mkdir -p "$(dirname "$root")"
log=$root.log
fail() { echo "ensure-frr-root: $1 failed; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
# debootstrap knows a suite by its script; a newer testing suite than this debootstrap knows
# is bootstrapped like sid
script=$suite
[[ -e /usr/share/debootstrap/scripts/$suite ]] || script=sid
# a mirror hiccup should not cost a CI run: a second try from scratch
debootstrap --variant=minbase "$suite" "$root.tmp" "$mirror" "/usr/share/debootstrap/scripts/$script" >"$log" 2>&1 || {
  rm -rf "$root.tmp"
  sleep 5
  debootstrap --variant=minbase "$suite" "$root.tmp" "$mirror" "/usr/share/debootstrap/scripts/$script" >>"$log" 2>&1
} || fail debootstrap
# frr through the tree's own apt (debootstrap --include cannot order systemd's pre-dependencies);
# no service may start inside the tree
printf '#!/bin/sh\nexit 101\n' > "$root.tmp/usr/sbin/policy-rc.d"
chmod +x "$root.tmp/usr/sbin/policy-rc.d"
install_frr() { chroot "$root.tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends frr >>"$log" 2>&1; }
install_frr || { sleep 5; chroot "$root.tmp" apt-get update -q >>"$log" 2>&1; install_frr; } || fail "apt-get install frr in the tree"
chroot "$root.tmp" apt-get clean >>"$log" 2>&1 || true
touch "$root.tmp/.fibmgr-ready"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "ensure-frr-root: FRR $(chroot "$root" dpkg-query -W -f='${Version}' frr) ready in $root" >&2
