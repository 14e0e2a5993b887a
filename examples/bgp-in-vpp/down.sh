#!/usr/bin/env bash
# Tears down what up.sh built: fibmgr, FRR, VPP, the namespaces and their veths, the state folder.
# Safe to run when nothing (or only part) is up.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $(id -u) -eq 0 ]] || die "needs root"
stop_fibmgr
stop_frr cp
stop_frr peer
stop_vpp
# anything else still running in the example's namespaces (a ping left behind) was started for it
for ns in "${NAMESPACES[@]}"; do
  ns_exists "$ns" || continue
  pids=$(ip netns pids "$ns" 2>/dev/null)
  [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
  ip netns del "$ns"
done
rm -rf "$STATE" "/var/run/frr/$NS_PEER" "/var/run/frr/$NS_CP" "/etc/frr/$NS_PEER" "/etc/frr/$NS_CP"
log "down"
exit 0
