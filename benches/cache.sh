#!/usr/bin/env bash
# Two builds of sim under cachegrind's cache and branch simulation: per request (the difference
# between runs of M and 2M requests, divided by M), the instructions, first-level data and
# instruction cache misses, last-level data misses and branch mispredictions. Whatever else runs
# on the machine, the counts repeat to within a few percent (std's hash maps are seeded per
# process, which moves some data between runs): this is how a CPU-time difference that
# `benches/ab.sh` sees is told apart from noise on a machine without hardware counters.
# Usage: benches/cache.sh OLD_SIM NEW_SIM [M] [WORKLOAD]   (defaults: 500000, lb50)
set -euo pipefail
cd "$(dirname "$0")/.."
old="$1" new="$2" m="${3:-500000}" w="${4:-lb50}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
counts() { # sim requests folder -> "Ir I1mr D1mr DLmr Bm" totals
  if ! valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes \
    --cachegrind-out-file="$out/cg" "$1" run "benches/scenarios/$w.yaml" \
    --requests "$2" --out "$out/$3" -q >/dev/null 2>"$out/err"; then
    echo "failed: $1 on $w" >&2
    cat "$out/err" >&2
    exit 1
  fi
  awk '/^events:/ { for (i = 2; i <= NF; i++) name[i - 1] = $i }
       /^summary:/ { for (i = 2; i <= NF; i++) v[name[i - 1]] = $i }
       END { print v["Ir"], v["I1mr"], v["D1mr"] + v["D1mw"], v["DLmr"] + v["DLmw"], v["Bcm"] + v["Bim"] }' "$out/cg"
}
echo "| $w, per request | instructions | I1 misses | D1 misses | LL data misses | mispredicts |"
echo "|---|---|---|---|---|---|"
for which in old new; do
  sim="$old"; [ "$which" = new ] && sim="$new"
  read -r a1 a2 a3 a4 a5 <<<"$(counts "$sim" "$m" "$which")"
  read -r b1 b2 b3 b4 b5 <<<"$(counts "$sim" $((2 * m)) "$which")"
  awk -v w="$which" -v m="$m" -v a="$a1 $a2 $a3 $a4 $a5" -v b="$b1 $b2 $b3 $b4 $b5" 'BEGIN {
    split(a, x, " "); split(b, y, " ");
    printf "| %s | %.1f | %.3f | %.2f | %.3f | %.2f |\n", w,
      (y[1] - x[1]) / m, (y[2] - x[2]) / m, (y[3] - x[3]) / m, (y[4] - x[4]) / m, (y[5] - x[5]) / m }'
done
