#!/usr/bin/env bash
# Restarts one part of the running example the way up.sh started it, to watch VPP keep forwarding:
#   restart.sh zebra [--kill]    cp's zebra (--kill: kill -9, as a crash would), restarted as FRR's
#                                watchfrr does it: the other daemons (bgpd) stopped, zebra started,
#                                then they (a bgpd left running would not give a new zebra its routes)
#   restart.sh fibmgr [--kill]   fibmgr (SIGTERM leaves VPP's routes in place; it adopts them again)
#   restart.sh vpp               VPP, which comes back empty: fibmgr writes zebra's routes back
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $(id -u) -eq 0 ]] || die "needs root"
ns_exists "$NS_VPP" || die "not up ($here/up.sh first)"
signal=TERM
[[ ${2:-} == --kill ]] && signal=KILL
case ${1:-} in
  zebra) stop_pid "$STATE/cp/zebra.pid" "$signal"; stop_pid "$STATE/cp/bgpd.pid"; start_zebra_cp; start_bgpd_cp ;;
  fibmgr) stop_fibmgr "$signal"; start_fibmgr ;;
  vpp) vpp_prefix; stop_vpp; start_vpp ;;
  *) die "usage: restart.sh zebra|fibmgr|vpp [--kill]" ;;
esac
log "$1 restarted"
