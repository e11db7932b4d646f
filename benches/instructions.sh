#!/usr/bin/env bash
# Instructions per request of the minimal loop and of `sim run`, on the three queueing
# workloads, counted by callgrind (repeatable whatever else the machine does). The marginal
# count between runs of N and 2N requests leaves out start-up and writing the outputs.
# Usage: benches/instructions.sh [N]   (default 500000; needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-500000}"
cargo build --release --quiet
cargo bench --no-run --quiet --bench minimal_loop 2>/dev/null
minimal="$(ls -t target/release/deps/minimal_loop-* | grep -v '\.d$' | head -1)"
out="$(mktemp -d)"
count() { # command... -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$@" >/dev/null 2>&1
  callgrind_annotate "$out/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
printf '%-6s %18s %18s %8s\n' workload "minimal instr/req" "sim instr/req" ratio
for w in mm1 mmc lb50; do
  m1=$(count "$minimal" "$w" "$n"); m2=$(count "$minimal" "$w" $((2 * n)))
  s1=$(count target/release/sim run "benches/scenarios/$w.yaml" --requests "$n" --out "$out/run" -q)
  s2=$(count target/release/sim run "benches/scenarios/$w.yaml" --requests $((2 * n)) --out "$out/run" -q)
  awk -v w="$w" -v m=$((m2 - m1)) -v s=$((s2 - s1)) -v n="$n" \
    'BEGIN { printf "%-6s %18.0f %18.0f %7.1fx\n", w, m / n, s / n, s / m }'
done
rm -rf "$out"
