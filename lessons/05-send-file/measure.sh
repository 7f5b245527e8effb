#!/usr/bin/env bash
# Lesson 05: how fast does a 256 MiB file go over loopback? Rust->Rust, Python->Rust,
# Rust->Python, and SHA-256 alone (hash-speed), RUNS rounds, taking turns so that all four
# see the same load. Files live in /dev/shm (memory), so the disk does not count. Linux only
# (/dev/shm, /proc).
#
# Two numbers for each: the speed (wall-clock time, which depends on what else the machine
# is doing), and the CPU time (user + sys) each side used, which stays about the same on a
# busy machine: it counts only the time the program really ran.
# Run from the repository root:  bash lessons/05-send-file/measure.sh [RUNS]
set -euo pipefail
runs=${1:-5}
cargo build -q --release -p lesson-05-send-file
bin=$PWD/target/release
python=$PWD/lessons/05-send-file/python
work=$(mktemp -d /dev/shm/sbpf-measure.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
size=268435456
head -c "$size" /dev/urandom > big.bin
TIMEFORMAT='%U %S' # what bash's `time` prints: user and sys seconds

# Waits (at most 10 s) until FILE says "listening on", then prints the port.
port_in() {
    for _ in $(seq 200); do
        grep -q "listening on" "$1" && break
        sleep 0.05
    done
    sed -n 's/^listening on 127.0.0.1://p' "$1" | grep . || { echo "no listening line in $1" >&2; exit 1; }
}
# The CPU seconds (user + sys) a running process has used so far, from /proc/PID/stat.
cpu_of() { awk -v tick="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / tick }' "/proc/$1/stat"; }
# "user sys" from bash's `time` -> their sum.
cpu_sum() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }
mb_per_s() { python3 -c "print('%.0f MB/s' % ($size / ($2 - $1) / 1e6))"; }
less() { python3 -c "print('%.2f' % ($1 - $2))"; }

"$bin/server" --addr 127.0.0.1:0 --dir saved > server.out &
server=$!
port=$(port_in server.out)
for run in $(seq "$runs"); do
    echo "round $run"
    before=$(cpu_of "$server")
    { time "$bin/client" big.bin --addr "127.0.0.1:$port" --name "rust-$run" > client.out; } 2> client.cpu
    speed=$(sed -n 's/^sent.*(\(.*\))/\1/p' client.out)
    echo "  Rust -> Rust:   $speed; CPU: client $(cpu_sum client.cpu) s, server $(less "$(cpu_of "$server")" "$before") s"

    ln big.bin "python-$run"
    before=$(cpu_of "$server")
    start=$(date +%s.%N)
    { time python3 "$python/send_file.py" "python-$run" "$port" > /dev/null; } 2> sender.cpu
    end=$(date +%s.%N)
    echo "  Python -> Rust: $(mb_per_s "$start" "$end"); CPU: sender $(cpu_sum sender.cpu) s, server $(less "$(cpu_of "$server")" "$before") s"

    mkdir -p "py-$run"
    ( time python3 "$python/recv_file.py" 0 "py-$run" > receiver.out ) 2> receiver.cpu &
    receiver=$!
    pyport=$(port_in receiver.out)
    { time "$bin/client" big.bin --addr "127.0.0.1:$pyport" > client.out; } 2> client.cpu
    wait "$receiver"
    speed=$(sed -n 's/^sent.*(\(.*\))/\1/p' client.out)
    echo "  Rust -> Python: $speed; CPU: client $(cpu_sum client.cpu) s, receiver $(cpu_sum receiver.cpu) s"

    { time "$bin/hash-speed" --runs 1 > hash.out; } 2> hash.cpu
    speed=$(sed -n 's/^run 1: .*(\([0-9]* MB\/s\).*/\1/p' hash.out)
    echo "  SHA-256 alone:  $speed; CPU: $(cpu_sum hash.cpu) s"
    rm -rf saved/rust-* saved/python-* "python-$run" "py-$run"
done
