#!/usr/bin/env bash
# Records the FRR 10 fixtures of test/fpm/fixtures/ from Debian 13's zebra (FRR 10.3, the root tree
# of scripts/ensure-frr-root.sh) with the FPM lab (test/fixtures/fpm/lab: start-lab.sh -r, capture.py)
# and decodes each with the lab's own decoder (fpmdecode.py: independent of fibmgr's) into its .json.
#   record-frr10-fixtures.sh [OUTDIR]      (default test/fpm/fixtures)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$repo/test/fpm/fixtures}")
lab=$repo/test/fixtures/fpm/lab
root=${FIBMGR_FRR10_ROOT:-/var/cache/fibmgr/frr10-root}
ns=frr10fix dir=/tmp/frr10fix port=2620
mkdir -p "$out"
V() { chroot "$root" vtysh --vty_socket "$dir" "$@" >/dev/null; }
conf() { local a=(-c "conf t"); for l in "$@"; do a+=(-c "$l"); done; V "${a[@]}" -c end; }
settle() { sleep "${1:-2}"; }
begin() {
  "$lab/stop-lab.sh" -n $ns -d "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"; mkdir -p "$dir"
  "$lab/start-lab.sh" -n $ns -d "$dir" -p $port -r "$root" "$@" >/dev/null
  ip netns exec $ns /usr/bin/python3 "$lab/capture.py" $port "$dir/cap" --pidfile "$dir/capture.pid" >/dev/null 2>&1 &
  for _ in $(seq 50); do [[ -s $dir/capture.pid ]] && break; sleep 0.1; done
}
wait_conn() {
  for _ in $(seq 150); do grep -q "conn $1: accepted" "$dir/cap.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "conn $1: accepted" "$dir/cap.log" || { echo "no FPM connection $1" >&2; return 1; }
  settle 2
}
finish() {
  local name=$1 n=0 f k dst
  settle 2
  "$lab/stop-lab.sh" -n $ns -d "$dir" >/dev/null
  for f in "$dir"/cap.[0-9]*.bin; do n=$((n + 1)); done
  for f in "$dir"/cap.[0-9]*.bin; do
    k=$(basename "$f" .bin); k=${k#cap.}
    dst=$name; ((n > 1)) && dst=$name-$k
    cp "$f" "$out/$dst.bin"
    /usr/bin/python3 "$lab/fpmdecode.py" "$out/$dst.bin" > "$out/$dst.json"
  done
  echo "$name: $n connection(s)"
}
STATICS=("ip route 8.8.8.8/32 10.0.2.2" "ip route 8.8.8.8/32 10.0.2.3" "ip route 8.8.8.8/32 10.0.3.4"
  "ip route 192.0.2.0/24 blackhole" "ip route 198.51.100.0/24 reject" "ip route 203.0.113.0/24 eth2"
  "ipv6 route 2001:db8:100::/48 2001:db8:2::2" "ipv6 route 2001:db8:100::/48 2001:db8:2::3"
  "ipv6 route 2001:db8:dead::/48 blackhole" "ip route 10.100.0.0/16 10.0.2.2 table 100")

# route replace (FRR 10's default): statics, then changes that arrive as one RTM_NEWROUTE each
begin; wait_conn 1; conf "${STATICS[@]}"; settle 1
conf "no ip route 8.8.8.8/32 10.0.3.4"; settle 1
conf "no ip route 203.0.113.0/24 eth2" "ip route 203.0.113.0/24 10.0.3.9"; settle 1
conf "no ip route 192.0.2.0/24 blackhole"; settle 1
conf "no ipv6 route 2001:db8:100::/48 2001:db8:2::3"; settle 1
finish frr10-replace
# the replay after the listener dropped the connection (local routes, no table 100)
begin; wait_conn 1; conf "${STATICS[@]}"; settle 1
kill -USR1 "$(cat "$dir/capture.pid")"; wait_conn 2
finish frr10-reconnect
