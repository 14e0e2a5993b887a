#!/usr/bin/env bash
# The live tests need Debian's FRR (zebra, staticd, vtysh) and iproute2. Installs them when missing,
# so that `npm ci && npm test` is the whole set-up on a fresh Debian machine (as root).
set -euo pipefail
if [[ -x /usr/lib/frr/zebra && -x /usr/lib/frr/staticd ]] && command -v vtysh >/dev/null && command -v ip >/dev/null; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-system-deps: frr/iproute2 missing and not root: the live tests will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq frr iproute2 >/dev/null
