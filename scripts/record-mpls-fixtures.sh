#!/usr/bin/env bash
# Records the MPLS fixtures of test/fixtures/fpm/ (mpls-*.bin, decoded to .json by the lab's own
# decoder, fpmdecode.py) from a real zebra with MPLS made available as issue 24 found
# (start-lab.sh -L: a /proc/sys/net/mpls in zebra's own mount namespace, the kernel's EOPNOTSUPP
# answers read as ACKs): LSPs (`mpls lsp`) and labelled static routes added, changed and deleted,
# then the replay after the listener dropped the connection.
#   record-mpls-fixtures.sh [OUTDIR]     (default test/fixtures/fpm)
# FRR 8.4.4 (Debian 12's) → mpls-84-{1,2}; FRR 10.3 (FIBMGR_FRR10_ROOT) → mpls-frr10-{1,2}.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$repo/test/fixtures/fpm}")
lab=$repo/test/fixtures/fpm/lab
root10=${FIBMGR_FRR10_ROOT:-/var/cache/fibmgr/frr10-root}
ns=mplsfix dir=/tmp/mplsfix port=2620
mkdir -p "$out"
settle() { sleep "${1:-2}"; }
begin() {  # root|'' start-lab options...
  local root=$1; shift
  "$lab/stop-lab.sh" -n $ns -d "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"; mkdir -p "$dir"
  "$lab/start-lab.sh" -n $ns -d "$dir" -p $port -L ${root:+-r "$root"} "$@" >/dev/null
  ip netns exec $ns /usr/bin/python3 "$lab/capture.py" $port "$dir/cap" --pidfile "$dir/capture.pid" >/dev/null 2>&1 &
  for _ in $(seq 50); do [[ -s $dir/capture.pid ]] && break; sleep 0.1; done
}
V() { "$dir/vtysh" "$@"; }
conf() { local a=(-c "conf t"); for l in "$@"; do a+=(-c "$l"); done; V "${a[@]}" -c end >/dev/null; }
wait_conn() {
  for _ in $(seq 150); do grep -q "conn $1: accepted" "$dir/cap.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "conn $1: accepted" "$dir/cap.log" || { echo "no FPM connection $1" >&2; return 1; }
  settle 2
}
finish() {
  local name=$1 f k
  settle 2
  V -c "show mpls table" -c "show ip route" -c "show ipv6 route" > "$dir/zebra-view.txt" 2>&1 || true
  "$lab/stop-lab.sh" -n $ns -d "$dir" >/dev/null
  for f in "$dir"/cap.[0-9]*.bin; do
    k=$(basename "$f" .bin); k=${k#cap.}
    cp "$f" "$out/$name-$k.bin"
    /usr/bin/python3 "$lab/fpmdecode.py" "$out/$name-$k.bin" > "$out/$name-$k.json"
  done
  echo "$name: done; zebra at the end:"; cat "$dir/zebra-view.txt"
}
scenario() {  # name root
  begin "$2" -c "mpls lsp 100 10.0.2.2 200"
  wait_conn 1
  conf "ip route 192.168.50.0/24 10.0.2.2 label 500/600" "ipv6 route 2001:db8:500::/48 2001:db8:2::2 label 700" \
       "mpls lsp 101 10.0.3.4 implicit-null" "mpls lsp 102 10.0.2.3 300" "mpls lsp 102 10.0.3.3 301" \
       "mpls lsp 103 2001:db8:3::5 explicit-null"
  settle 1
  conf "mpls lsp 100 10.0.2.2 201" "ip route 192.168.50.0/24 10.0.2.2 label 501/601/701"; settle 1   # changes
  conf "no mpls lsp 101" "no mpls lsp 102 10.0.2.3" "no ipv6 route 2001:db8:500::/48 2001:db8:2::2 label 700"; settle 1
  kill -USR1 "$(cat "$dir/capture.pid")"; wait_conn 2
  finish "$1"
}
scenario mpls-84 ''
scenario mpls-frr10 "$root10"
