#!/usr/bin/env bash
# Two builds of sim side by side on the three queueing workloads: each one's least CPU time over
# K alternating runs of N requests (other work on the machine can only add time, and running
# them in turn exposes both to the same conditions), then, with valgrind, the marginal
# instructions per request between runs of M and 2M requests (repeatable whatever the load).
# Build the old one in a worktree first, e.g.
#   git worktree add /tmp/sim-old <commit> && (cd /tmp/sim-old && cargo build --release)
# Usage: benches/ab.sh OLD_SIM NEW_SIM [N] [K] [M]
#   (defaults: 10^7 requests, 5 runs each, 500000; M=0 skips the instruction counts)
set -euo pipefail
cd "$(dirname "$0")/.."
old="$1" new="$2" n="${3:-10000000}" k="${4:-5}" m="${5:-500000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cpu_seconds() { # command... -> user + system seconds; stops the script if the command fails
  if ! /usr/bin/time -o "$out/time" -f "%U %S" "$@" >/dev/null 2>"$out/err"; then
    echo "failed: $*" >&2
    cat "$out/err" >&2
    exit 1
  fi
  awk '{ print $1 + $2 }' "$out/time"
}
instructions() { # command... -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$@" >/dev/null 2>&1
  callgrind_annotate "$out/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
per_request() { # sim, its output folder -> marginal instructions per request on workload $w
  local a b
  a=$(instructions "$1" run "benches/scenarios/$w.yaml" --requests "$m" --out "$out/$2" -q)
  b=$(instructions "$1" run "benches/scenarios/$w.yaml" --requests $((2 * m)) --out "$out/$2" -q)
  echo $(((b - a) / m))
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
echo "| workload | old [s] | new [s] | change | old instr/req | new instr/req | change |"
echo "|---|---|---|---|---|---|---|"
for w in mm1 mmc lb50; do
  x="" y=""
  for _ in $(seq "$k"); do
    x=$(best "$x" "$(cpu_seconds "$old" run "benches/scenarios/$w.yaml" --requests "$n" --out "$out/old" -q)")
    y=$(best "$y" "$(cpu_seconds "$new" run "benches/scenarios/$w.yaml" --requests "$n" --out "$out/new" -q)")
  done
  if [ "$m" -gt 0 ]; then i=$(per_request "$old" old); j=$(per_request "$new" new); else i=0 j=0; fi
  awk -v w="$w" -v x="$x" -v y="$y" -v i="$i" -v j="$j" 'BEGIN {
    printf "| %s | %.2f | %.2f | %+.1f%% | %s | %s | %s |\n", w, x, y, (y / x - 1) * 100,
      (i ? i : "-"), (j ? j : "-"), (i ? sprintf("%+.1f%%", (j / i - 1) * 100) : "-") }'
done
