#!/usr/bin/env bash
# Lesson 05: how fast does a 256 MiB file go over loopback? Rust->Rust, Python->Rust,
# Rust->Python, and SHA-256 alone (hash-speed), RUNS rounds, taking turns so that all four
# see the same load. Files live in /dev/shm (memory), so the disk does not count.
# Run from the repository root:  bash lessons/05-send-file/measure.sh [RUNS]
set -euo pipefail
runs=${1:-5}
cargo build -q --release -p lesson-05-send-file
bin=$PWD/target/release
python=$PWD/lessons/05-send-file/python
work=$(mktemp -d /dev/shm/sbpf-measure.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
head -c 268435456 /dev/urandom > big.bin
"$bin/server" --addr 127.0.0.1:0 --dir saved > server.out &
until grep -q "listening on" server.out; do sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1://p' server.out)
mb_per_s() { python3 -c "print('%.0f MB/s' % (268435456 / ($2 - $1) / 1e6))"; }
for run in $(seq "$runs"); do
    echo "round $run"
    "$bin/client" big.bin --addr "127.0.0.1:$port" --name "rust-$run" | sed -n 's/^sent.*(\(.*\))/  Rust -> Rust:   \1/p'
    ln big.bin "python-$run"
    start=$(date +%s.%N); python3 "$python/send_file.py" "python-$run" "$port" > /dev/null; end=$(date +%s.%N)
    echo "  Python -> Rust: $(mb_per_s "$start" "$end")"
    mkdir -p "py-$run"; python3 "$python/recv_file.py" 0 "py-$run" > receiver.out &
    until grep -q "listening on" receiver.out; do sleep 0.05; done
    pyport=$(sed -n 's/^listening on 127.0.0.1://p' receiver.out)
    "$bin/client" big.bin --addr "127.0.0.1:$pyport" | sed -n 's/^sent.*(\(.*\))/  Rust -> Python: \1/p'
    wait $!
    "$bin/hash-speed" --runs 1 | sed -n 's/^run 1: .*(\([0-9]* MB\/s\).*/  SHA-256 alone:  \1/p'
    rm -rf saved/rust-* saved/python-* "python-$run" "py-$run"
done
