#!/usr/bin/env bash
# Instructions and heap allocations per message of a server, under valgrind:
# runs the server twice (N1 and N2 add(1, 2) requests, 100 in flight, from
# uvmas-bench's client) and divides the difference by N2 - N1, so start-up
# and shutdown cancel out.
#   tools/bench/profile_serve.sh serve|ideal json|msgpack|msgpack_blosc [N1 N2]
set -euo pipefail
bin="$(cd "$(dirname "$0")/../.." && pwd)/build/bin"
[ -n "${UVMAS_BIN:-}" ] && bin="$UVMAS_BIN"
which="$1" codec="$2" n1="${3:-20000}" n2="${4:-60000}"
case "$which" in
  serve) server=("$bin/uvmas" serve tcp://127.0.0.1:0 --codec "$codec") ;;
  ideal) server=("$bin/uvmas-bench" --serve-ideal "$codec") ;;
  *) echo "usage: $0 serve|ideal CODEC [N1 N2]" >&2; exit 2 ;;
esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

run() {  # run TOOL N -> prints the tool's total (instructions or blocks)
  local tool="$1" n="$2" out="$tmp/out" log="$tmp/log"
  : >"$out"
  if [ "$tool" = callgrind ]; then
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "${server[@]}" >"$out" 2>"$log" &
  else
    valgrind --tool=dhat --dhat-out-file=/dev/null "${server[@]}" >"$out" 2>"$log" &
  fi
  local pid=$!
  for _ in $(seq 600); do grep -q READY "$out" && break; sleep 0.1; done
  local port
  port="$(grep READY "$out" | sed 's/.*://')"
  "$bin/uvmas-bench" --client "$codec" "$port" "$n" 100 >/dev/null
  sleep 0.3
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  if [ "$tool" = callgrind ]; then
    grep -m1 '^summary:\|^totals:' "$tmp/cg" | awk '{print $2}'
  else
    grep 'Total:' "$log" | sed 's/.* in \([0-9,]*\) blocks.*/\1/' | tr -d ,
  fi
}

i1=$(run callgrind "$n1"); i2=$(run callgrind "$n2")
m1=$(run dhat "$n1"); m2=$(run dhat "$n2")
awk -v i1="$i1" -v i2="$i2" -v m1="$m1" -v m2="$m2" -v n1="$n1" -v n2="$n2" -v w="$which" -v c="$codec" \
  'BEGIN { printf "%-6s %-14s %8.0f instructions/message %6.2f allocations/message\n", w, c, (i2-i1)/(n2-n1), (m2-m1)/(n2-n1) }'
