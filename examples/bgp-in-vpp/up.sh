#!/usr/bin/env bash
# BGP through VPP on one machine: namespaces peer (an eBGP speaker announcing 8.8.8.8/32 and
# BGPVPP_PREFIXES more), cp (zebra + bgpd + fibmgr) and client, with a real VPP in namespace vpp
# forwarding between them. Returns once the BGP session is Established and VPP forwards what it
# brought (8.8.8.8/32 in VPP's FIB). down.sh undoes it all.
# Needs root. Settings: see lib.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $(id -u) -eq 0 ]] || die "needs root (namespaces, VPP)"
for ns in "${NAMESPACES[@]}"; do
  ns_exists "$ns" && die "namespace $ns exists: already up? ($here/down.sh first)"
done

# Debian's FRR, iproute2 and ping, installed when missing
need=()
[[ -x $FRR/zebra && -x $FRR/bgpd ]] && command -v vtysh >/dev/null || need+=(frr)
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
if ((${#need[@]})); then
  log "apt-get install ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# FRR's daemons start only when the user running them is in its vty group
id -nG frr | grep -qw frrvty || usermod -a -G frrvty frr

mkdir -p "$STATE/vpp"
find_vpp
build_fibmgr
frr_dirs
started=$SECONDS

# ---- the wires: VPP's end of each veth stays in namespace vpp, the other end is eth0 of its host ----
for ns in "${NAMESPACES[@]}"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
for host in peer cp client; do
  ns_var=NS_${host^^}
  ip -n "$NS_VPP" link add "vpp-$host" type veth peer name eth0 netns "${!ns_var}"
  ip -n "$NS_VPP" link set "vpp-$host" up
  ip -n "${!ns_var}" link set eth0 up
done

# peer: 10.0.1.0/31 towards VPP (10.0.1.1); its loopback holds what it announces
ip -n "$NS_PEER" addr add 10.0.1.0/31 dev eth0
ip -n "$NS_PEER" route add default via 10.0.1.1
{
  echo "addr add 8.8.8.8/32 dev lo"
  for ((i = 0; i < PREFIXES; i++)); do echo "addr add 100.$((64 + i / 256)).$((i % 256)).1/24 dev lo"; done
} | ip -n "$NS_PEER" -batch -

# cp: 10.0.0.0/31 is its link to VPP (10.0.0.1), where VPP punts the peer's BGP packets. It also holds
# 10.0.1.1/31, VPP's address towards the peer, so that bgpd speaks from it and the peer's 10.0.1.0 is
# directly connected; packets for the peer go to VPP's MAC (no ARP: VPP does not answer for the peer).
ip -n "$NS_CP" addr add 10.0.0.0/31 dev eth0
ip -n "$NS_CP" addr add 10.0.1.1/31 dev eth0
ip -n "$NS_CP" neigh replace 10.0.1.0 lladdr "$MAC_VPP_CP" dev eth0 nud permanent

# client: a host behind the router
ip -n "$NS_CLIENT" addr add 10.0.2.0/31 dev eth0
ip -n "$NS_CLIENT" route add default via 10.0.2.1

# ---- VPP, fibmgr, FRR ------------------------------------------------------------------------------
write_vpp_conf
start_vpp
log "VPP $(vppctl show version | awk '{print $2; exit}') up in namespace $NS_VPP ($STATE/vpp)"
start_fibmgr
start_zebra_peer
start_bgpd_peer
start_zebra_cp
start_bgpd_cp
until_ok 60 bgp_established || die "BGP did not come up within 60 s: $(vtysh -N "$NS_CP" -c 'show ip bgp summary' 2>&1 | tail -n 5)"
log "BGP Established after $((SECONDS - started)) s"
# and what it learned in VPP (zebra → fibmgr → VPP), so that the first ping already goes through
fibmgr_in_vpp() { vppctl show ip fib 8.8.8.8/32 | grep 'fibmgr refs' >/dev/null; }
until_ok 60 fibmgr_in_vpp \
  || die "8.8.8.8/32 did not reach VPP within 60 s: see $STATE/cp/fibmgr.log"
log "8.8.8.8/32 in VPP's FIB (from fibmgr) after $((SECONDS - started)) s"

cat >&2 <<EOF

  vtysh -N $NS_CP -c 'show ip bgp summary'
  $VPP_PREFIX/bin/vppctl -s $STATE/vpp/cli.sock show ip fib 8.8.8.8/32
  ip netns exec $NS_CLIENT ping -c 3 8.8.8.8
  ip netns exec $NS_CP $FIBMGR_CMD status
  $here/down.sh${P:+   (with BGPVPP_PREFIX=$P)}
EOF
