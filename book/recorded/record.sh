#!/bin/bash
# Records what `ss` and `tcpdump` show at the key moments of the lessons, for the book's
# chapter "See it with the system's own tools" (book/src/appendix/system-tools.md).
# Linux only. tcpdump needs root: sudo book/recorded/record.sh
# Run from the project's folder. It uses ports 8001 and 8041, so nothing else may use them.
# It writes book/recorded/ss.txt, syn-sent.txt and tcpdump.txt (with mdBook ANCHOR lines).
set -eu
cd "$(dirname "$0")/../.."
out=book/recorded
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each lesson's own program, copied out (every lesson has a `server` and a `client`, and
# cargo puts them all at target/debug/server and target/debug/client).
program() {
    cargo build -q -p "$1" --bin "$2"
    cp "target/debug/$2" "$work/$1-$2"
    echo "$work/$1-$2"
}
S1=$(program lesson-01-phone-metaphor server)
C1=$(program lesson-01-phone-metaphor client)
B1=$(program lesson-01-phone-metaphor backlog)
S4=$(program lesson-04-reconnect-loop server)
C4=$(program lesson-04-reconnect-loop client)

part() { echo "# ANCHOR_END: $1"; }
# Prints a command as typed, then runs it.
show() { echo "\$ $1"; eval "$1"; }

{
echo "# ANCHOR: when"
echo "recorded on $(date -u '+%Y-%m-%d') with Linux $(uname -r)"
part when

# tcpdump: every packet of port 8001 on loopback, the time since the first packet, without
# the TCP options (they make the lines too long for a page).
tcpdump -i lo -n -ttttt -l 'tcp port 8001' 2> "$work/tcpdump.err" \
    > >(sed -u 's/, options \[[^]]*\]//' > "$work/tcpdump.txt") &
tcpdump=$!
sleep 1

echo "# ANCHOR: listen"
mkfifo "$work/server-in" "$work/client-in"
"$S1" < "$work/server-in" > "$work/s1.out" 2>&1 &
server=$!
exec 3> "$work/server-in"
sleep 0.3
show "ss -tan '( sport = :8001 )'"
part listen

echo "# ANCHOR: estab"
"$C1" < "$work/client-in" > "$work/c1.out" 2>&1 &
client=$!
exec 4> "$work/client-in"
sleep 0.3
show "ss -tan '( sport = :8001 or dport = :8001 )'"
part estab

echo "# ANCHOR: after"
echo 你好，我是小文 >&4
sleep 0.3
echo 你好小文，我是明威 >&3
sleep 0.3
exec 3>&- 4>&-
wait "$server" "$client"
show "ss -tan '( sport = :8001 or dport = :8001 )'"
part after

# A call to a port where nobody listens: the answer is a reset (RST).
"$C1" < /dev/null > /dev/null 2>&1 || true
sleep 0.3
kill "$tcpdump"
sleep 0.3

echo "# ANCHOR: queue"
"$B1" --backlog 2 --callers 4 --wait 3 > "$work/backlog.out" 2>&1 &
backlog=$!
sleep 1
port=$(head -1 "$work/backlog.out" | sed 's/.*://')
show "ss -tan '( sport = :$port or dport = :$port )'"
wait "$backlog"
part queue

echo "# ANCHOR: time-wait"
"$S4" --reply 收到 > "$work/s4.out" 2>&1 &
server=$!
sleep 0.3
printf '一\n二\n三\n四\n五\n' | "$C4" > /dev/null 2>&1
sleep 0.2
show "ss -tano state time-wait '( sport = :8041 or dport = :8041 )'"
kill "$server"
part time-wait
echo "# ANCHOR: queue-04"
mkfifo "$work/s4-in" "$work/a-in" "$work/b-in"
"$S4" < "$work/s4-in" > "$work/s4q.out" 2>&1 &
server=$!
exec 5> "$work/s4-in"
sleep 0.3
"$C4" < "$work/a-in" > /dev/null 2>&1 &
first=$!
exec 6> "$work/a-in"
echo 小文：第一个问题 >&6
sleep 0.3
"$C4" < "$work/b-in" > /dev/null 2>&1 &
second=$!
exec 7> "$work/b-in"
echo 小明：我也有一个问题 >&7
sleep 0.3
show "ss -ltn '( sport = :8041 )'"
echo 小文，答案是 42 >&5
echo 小明，轮到你了 >&5
sleep 0.3
exec 6>&- 7>&-
wait "$first" "$second"
exec 5>&-
kill "$server"
wait "$server" || true
part queue-04

T4=$(program lesson-04-reconnect-loop trap)
echo "# ANCHOR: trap"
"$T4" --rounds 5 > "$work/trap.out"
port=$(head -1 "$work/trap.out" | sed 's/.*://')
echo "\$ cargo run -p lesson-04-reconnect-loop --bin trap -- --rounds 5"
echo "..."
grep '^summary' "$work/trap.out"
show "ss -tan state time-wait '( sport = :$port )'"
part trap

echo "# ANCHOR: trap-caller"
"$T4" --rounds 3 --first-to-hang-up caller --pause 0.01 > "$work/trap.out"
port=$(head -1 "$work/trap.out" | sed 's/.*://')
echo "\$ cargo run -p lesson-04-reconnect-loop --bin trap -- --rounds 3 --first-to-hang-up caller --pause 0.01"
echo "..."
grep '^summary' "$work/trap.out"
show "ss -tan state time-wait '( sport = :$port or dport = :$port )'"
part trap-caller

} > "$out/ss.txt"

# A caller that does not fit in the queue, dialing again and again (no root needed).
{
echo "# ANCHOR: when"
echo "recorded on $(date -u '+%Y-%m-%d') with Linux $(uname -r), while backlog's caller 7 waited"
part when
"$B1" --callers 7 --wait 8 > "$work/backlog7.out" 2>&1 &
backlog=$!
sleep 0.5
echo "# ANCHOR: first"
show "ss -tno state syn-sent"
part first
sleep 5.9
echo "# ANCHOR: later"
show "ss -tno state syn-sent"
part later
wait "$backlog"
} > "$out/syn-sent.txt"

{
    echo "# ANCHOR: capture"
    cat "$work/tcpdump.txt"
    echo "# ANCHOR_END: capture"
} > "$out/tcpdump.txt"
echo "wrote $out/ss.txt, $out/syn-sent.txt and $out/tcpdump.txt"
