#!/usr/bin/env bash
# FRR 10 for the live tests: a Debian 13 (trixie) root tree made with debootstrap from Debian's
# mirror (the one apt uses on this machine), with Debian 13's `frr` installed in it. The tests run
# its daemons in their namespace through chroot (start-lab.sh -r ROOT). The tree is a cache kept
# outside the clone (FIBMGR_FRR10_ROOT, default /var/cache/fibmgr/frr10-root): only the first run
# pays for it (~3 minutes). Prints nothing when the tree is already there.
set -euo pipefail
root=${FIBMGR_FRR10_ROOT:-/var/cache/fibmgr/frr10-root}
if [[ -x $root/usr/lib/frr/zebra && -x $root/usr/lib/frr/staticd && -x $root/usr/bin/vtysh && -f $root/.fibmgr-ready ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-frr10-root: no FRR 10 root tree at $root and not root: the FRR 10 live tests cannot run" >&2
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
echo "ensure-frr10-root: making a Debian 13 root tree with FRR at $root from $mirror (first run only)" >&2
rm -rf "$root.tmp"
mkdir -p "$(dirname "$root")"
log=$(dirname "$root")/debootstrap.log
fail() { echo "ensure-frr10-root: $1 failed; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
debootstrap --variant=minbase trixie "$root.tmp" "$mirror" >"$log" 2>&1 || fail debootstrap
# frr through the tree's own apt (debootstrap --include cannot order systemd's pre-dependencies);
# no service may start inside the tree
printf '#!/bin/sh\nexit 101\n' > "$root.tmp/usr/sbin/policy-rc.d"
chmod +x "$root.tmp/usr/sbin/policy-rc.d"
chroot "$root.tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends frr >>"$log" 2>&1 ||
  fail "apt-get install frr in the tree"
chroot "$root.tmp" apt-get clean >>"$log" 2>&1 || true
touch "$root.tmp/.fibmgr-ready"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "ensure-frr10-root: FRR $(chroot "$root" dpkg-query -W -f='${Version}' frr) ready in $root" >&2
