# Shared by up.sh, down.sh and restart.sh: the example's names, paths and the way each part is
# started and stopped (so that a restart starts a part exactly as up.sh did). Sourced, not run.
#
# Environment:
#   BGPVPP_PREFIX     prepended to the namespace names (default none: peer, cp, client, vpp); tests set
#                     it so that their topology does not meet anyone else's
#   BGPVPP_STATE      where configs, pids, logs and VPP's sockets go (default /run/bgp-in-vpp[-PREFIX])
#   BGPVPP_PREFIXES   how many /24s the peer announces besides 8.8.8.8/32 (default 3000)
#   BGPVPP_FIBMGR_ARGS  more fibmgr flags, e.g. "--log-level debug"
#   FIBMGR_VPP_PREFIX the VPP to run (else a vpp on PATH, else ../shared/vpp/real/build-vpp.sh builds one)
#   NODE              the node binary for fibmgr (default: node on PATH)
#   BGPVPP_FIBMGR     the command that runs fibmgr (default: $NODE dist/src/cli.js of this repository,
#                     built when its sources changed; the tests run src/cli.ts through tsx instead)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
P=${BGPVPP_PREFIX:-}
NS_PEER=${P}peer NS_CP=${P}cp NS_CLIENT=${P}client NS_VPP=${P}vpp
NAMESPACES=("$NS_PEER" "$NS_CP" "$NS_CLIENT" "$NS_VPP")
STATE=${BGPVPP_STATE:-/run/bgp-in-vpp${P:+-${P%-}}}
PREFIXES=${BGPVPP_PREFIXES:-3000}
NODE=${NODE:-node}
FRR=/usr/lib/frr
VPP_SEGMENT=bgpvpp${P:+-${P%-}}
# VPP's side of each link gets a fixed MAC, so that cp's neighbour entry (below) survives a VPP restart
MAC_VPP_CP=02:fe:00:00:00:01

log() { echo "bgp-in-vpp: $*" >&2; }
die() { log "$*"; exit 1; }

ns_exists() { [[ -e /run/netns/$1 ]]; }

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
gone() { ! alive "$1"; }
pid_of() { cat "$1" 2>/dev/null || true; }

# until SECONDS CMD...: runs CMD (a function of this file too) every 0.1 s until it succeeds; fails after SECONDS
until_ok() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# stop_pid PIDFILE [SIGNAL]: signals the process, waits for it to go (SIGKILL after 10 s)
stop_pid() {
  local pid; pid=$(pid_of "$1")
  alive "$pid" || { rm -f "$1"; return 0; }
  kill -"${2:-TERM}" "$pid" 2>/dev/null || true
  until_ok 10 gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; until_ok 5 gone "$pid"; }
  rm -f "$1"
}

# ---- VPP -------------------------------------------------------------------------------------------

# The VPP to run: FIBMGR_VPP_PREFIX, else a vpp on PATH, else the one ../shared/vpp/real builds
# (once per machine) — the repository's own rule, scripts/ensure-vpp.sh.
find_vpp() {
  local found
  found=$(bash "$repo/scripts/ensure-vpp.sh" | tail -n1) && [[ -n $found ]] || die "no VPP (see above)"
  VPP_PREFIX=$found
  local d
  for d in lib/x86_64-linux-gnu/vpp_plugins lib/aarch64-linux-gnu/vpp_plugins lib/vpp_plugins lib64/vpp_plugins; do
    [[ -d $VPP_PREFIX/$d ]] && { VPP_PLUGINS=$VPP_PREFIX/$d; break; }
  done
  [[ -x $VPP_PREFIX/bin/vpp && -x $VPP_PREFIX/bin/vppctl && -n ${VPP_PLUGINS:-} ]] || die "$VPP_PREFIX has no bin/vpp, bin/vppctl and plugins"
  echo "$VPP_PREFIX" >"$STATE/vpp/prefix"
}

vpp_prefix() { VPP_PREFIX=$(cat "$STATE/vpp/prefix"); }

vppctl() { "$VPP_PREFIX/bin/vppctl" -s "$STATE/vpp/cli.sock" "$@"; }

# No DPDK, no hugepages: VPP reaches the namespaces through af_packet (vpp-setup.cli); its API socket
# is where fibmgr connects. Interrupt mode and poll-sleep keep an idle VPP off the CPU. linux_cp is
# loaded as in production (fibmgr reads its interface pairs: none here, VPP cannot make TAPs).
write_vpp_conf() {
  cat >"$STATE/vpp/startup.conf" <<EOF
unix { nodaemon runtime-dir $STATE/vpp cli-listen $STATE/vpp/cli.sock pidfile $STATE/vpp/vpp.pid
       log $STATE/vpp/vpp.log exec $here/vpp-setup.cli poll-sleep-usec 100 }
socksvr { socket-name $STATE/vpp/api.sock }
api-segment { prefix $VPP_SEGMENT }
statseg { socket-name $STATE/vpp/stats.sock size 128M page-size 4K }
plugins { path $VPP_PLUGINS
  plugin default { disable }
  plugin af_packet_plugin.so { enable } plugin ping_plugin.so { enable } plugin linux_cp_plugin.so { enable } }
memory { main-heap-size 1G main-heap-page-size 4K }
buffers { buffers-per-numa 16384 page-size 4K }
EOF
}

start_vpp() {
  rm -f "$STATE/vpp/api.sock" "$STATE/vpp/cli.sock" "$STATE/vpp/stats.sock" "$STATE/vpp/vpp.pid"
  rm -f /dev/shm/"$VPP_SEGMENT"-*
  ip netns exec "$NS_VPP" setsid "$VPP_PREFIX/bin/vpp" -c "$STATE/vpp/startup.conf" \
    </dev/null >>"$STATE/vpp/vpp.out" 2>&1 &
  echo $! >"$STATE/vpp/vpp.pid.own"
  until_ok 60 vpp_ready \
    || die "VPP did not come up: $(tail -n 20 "$STATE/vpp/vpp.out" "$STATE/vpp/vpp.log" 2>/dev/null)"
}

# the setup file has run once the last interface it brings up is up (grep reads all of vppctl's
# output, without -q: under pipefail an early exit would fail vppctl with SIGPIPE)
vpp_ready() { [[ -S $STATE/vpp/api.sock ]] && vppctl show interface host-vpp-client | grep -w up >/dev/null; }

stop_vpp() {
  stop_pid "$STATE/vpp/vpp.pid.own"
  rm -f /dev/shm/"$VPP_SEGMENT"-*
}

# ---- FRR (Debian's, one set of daemons per namespace: -N keeps their sockets apart) -----------------

# start_frr NAMESPACE ROLE DAEMON [ARGS…]: ROLE is the folder of its config (peer or cp)
start_frr() {
  local ns=$1 role=$2 d=$3; shift 3
  rm -f "/var/run/frr/$ns/$d.vty"
  ip netns exec "$ns" "$FRR/$d" -d -N "$ns" -P 0 -f "$here/$role/$d.conf" \
    -i "$STATE/$role/$d.pid" --log "file:$STATE/$role/$d.log" "$@" >>"$STATE/$role/daemons.out" 2>&1 \
    || die "$d in $ns did not start: $(tail -n 5 "$STATE/$role/daemons.out")"
  until_ok 10 test -S "/var/run/frr/$ns/$d.vty" || die "$d in $ns did not come up: $(tail -n 5 "$STATE/$role/$d.log")"
}

frr_dirs() { # the run-state folder -N uses, owned by FRR's user as FRR's own packaging does
  local ns
  for ns in "$NS_PEER" "$NS_CP"; do
    install -d -o frr -g frr -m 755 "/var/run/frr/$ns" "/etc/frr/$ns"
    touch "/etc/frr/$ns/vtysh.conf"   # vtysh -N NAMESPACE reads it (empty: the daemons hold the config)
  done
  install -d -o frr -g frr -m 755 "$STATE/peer" "$STATE/cp"
}

start_zebra_peer() { start_frr "$NS_PEER" peer zebra; }
start_bgpd_peer() { start_frr "$NS_PEER" peer bgpd; }
# zebra in cp feeds its FIB to fibmgr over FPM (fpm address in cp/zebra.conf)
start_zebra_cp() { start_frr "$NS_CP" cp zebra -M dplane_fpm_nl; }
start_bgpd_cp() { start_frr "$NS_CP" cp bgpd; }

stop_frr() { # stop_frr ROLE [SIGNAL]
  local d
  for d in bgpd zebra; do stop_pid "$STATE/$1/$d.pid" "${2:-TERM}"; done
}

bgp_established() {
  vtysh -N "$NS_CP" -c 'show bgp neighbors 10.0.1.0 json' 2>/dev/null | grep -q '"bgpState":"Established"'
}

# ---- fibmgr (from this repository) -----------------------------------------------------------------

FIBMGR_CMD=${BGPVPP_FIBMGR:-"$NODE --max-semi-space-size=4 --max-inlined-bytecode-size-cumulative=300 $repo/dist/src/cli.js"}

build_fibmgr() {
  [[ -n ${BGPVPP_FIBMGR:-} ]] && return 0
  (cd "$repo" && { [[ -d node_modules ]] || npm ci --silent; } && "$NODE" scripts/build-if-stale.mjs) >&2 \
    || die "building fibmgr failed"
}

start_fibmgr() {
  local log=$STATE/cp/fibmgr.log from pid
  touch "$log"; from=$(wc -l <"$log")
  # from the repository's folder (a command through `node --import tsx` finds tsx there)
  # shellcheck disable=SC2086  # the command and BGPVPP_FIBMGR_ARGS are lists of words
  (cd "$repo" && exec ip netns exec "$NS_CP" setsid $FIBMGR_CMD \
    --vpp-sock "$STATE/vpp/api.sock" --fpm-host 127.0.0.1 --fpm-port 2620 --metrics-addr 127.0.0.1:9469 \
    --log-format json ${BGPVPP_FIBMGR_ARGS:-} </dev/null >>"$log" 2>&1) &
  pid=$!
  echo "$pid" >"$STATE/cp/fibmgr.pid"
  local deadline=$((SECONDS + 60))
  until tail -n +$((from + 1)) "$log" | grep -q 'listening for zebra FPM'; do
    alive "$pid" && ((SECONDS < deadline)) || die "fibmgr did not start: $(tail -n +$((from + 1)) "$log" | tail -n 5)"
    sleep 0.1
  done
}

stop_fibmgr() { stop_pid "$STATE/cp/fibmgr.pid" "${1:-TERM}"; }
