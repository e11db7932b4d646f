#!/usr/bin/env bash
# Wall time of replications and of a sweep with 1 and with 2 rayon threads (the outputs are
# byte-identical either way: tests/replications.rs and tests/compare_sweep.rs check it).
# Run on a quiet machine: wall time measures everything else the machine does too.
# Usage: benches/threads.sh   (prints a markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out="$(mktemp -d)"
nanoseconds() { # command... -> wall nanoseconds of the best of three
  best=0
  for _ in 1 2 3; do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t=$(($(date +%s%N) - start))
    if [ "$best" = 0 ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  echo "$best"
}
echo "| study | 1 thread [s] | 2 threads [s] | speed-up |"
echo "|---|---|---|---|"
study() { # label command...
  label=$1; shift
  one=$(RAYON_NUM_THREADS=1 nanoseconds "$@")
  two=$(RAYON_NUM_THREADS=2 nanoseconds "$@")
  awk -v l="$label" -v a="$one" -v b="$two" 'BEGIN { printf "| %s | %.2f | %.2f | %.2fx |\n", l, a / 1e9, b / 1e9, a / b }'
}
study "mm1, 8 replications of 10^6 requests" \
  target/release/sim run benches/scenarios/mm1.yaml --requests 1000000 --replications 8 --out "$out/r" -q
study "mm1, sweep of 8 arrival rates (0.5/s to 0.85/s), 10^6 s each" \
  target/release/sim sweep benches/scenarios/mm1.yaml --param "arrivals.rate=0.5/s..0.85/s:8" \
  --duration 1000000s --out "$out/s" -q
rm -rf "$out"
