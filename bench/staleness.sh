#!/usr/bin/env bash
# What staleness costs in learning: sequences `train` needs before every held-out binary-addition
# sequence is added correctly, at staleness S = 0 1 2 4 8, for three data seeds (where a run never
# gets there: the share of held-out sequences right at the end). See bench/README.md.
#
#   bench/staleness.sh [--jar PATH] [--job JOB.yaml] [--stalenesses "0 1 2 4 8"] [--seeds "1 2 3"] [--count C]
#
# Every run trains the job's network from the same start on C sequences (default 60000) generated
# with the seed, scores 500 held-out sequences (seed 1000) every 10 versions and stops once all are right.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-target/unroll.jar}"
job="jobs/binary-addition.yaml" stalenesses="0 1 2 4 8" seeds="1 2 3" count=60000
die() { echo "staleness.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --job) job="$2"; shift 2 ;;
    --stalenesses) stalenesses="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
case "$jar" in /*) ;; *) jar="$root/$jar" ;; esac
case "$job" in /*) ;; *) job="$root/$job" ;; esac
[ -f "$jar" ] || die "no jar at $jar: build it (mvn -q package -DskipTests) or pass --jar PATH / UNROLL_JAR"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
java -jar "$jar" produce --job "$job" --out "$work/held.jsonl" --count 500 --seed 1000 2>/dev/null
for seed in $seeds; do
  java -jar "$jar" produce --job "$job" --out "$work/train-$seed.jsonl" --count "$count" --seed "$seed" 2>/dev/null
done

printf '| S | %s | median |\n|---:|%s---:|\n' "$(for s in $seeds; do printf 'seed %s | ' "$s"; done | sed 's/ | $//')" \
  "$(for s in $seeds; do printf -- '---:|'; done)"
for s in $stalenesses; do
  copy="$(dirname "$job")/.staleness-$s-$$.yaml"
  # the job with training.staleness set (replacing any), a copy beside it so its network path resolves
  sed "/^  staleness:/d; s/^training:/training:\n  staleness: $s/" "$job" > "$copy"
  row=()
  for seed in $seeds; do
    line=$(java -jar "$jar" train --job "$copy" --data "$work/train-$seed.jsonl" --out "$work/out.json" \
             --until-right "$work/held.jsonl" --quiet 2>&1 | grep 'held-out' || true)
    n=$(sed -nE 's/.* right after ([0-9]+) sequences.*/\1/p' <<<"$line")
    right=$(sed -nE 's/.*\(([0-9.]+%) right\).*/\1/p' <<<"$line")
    row+=("${n:-not within $count ($right right)}")
  done
  rm -f "$copy"
  median=$(printf '%s\n' "${row[@]}" | { grep -E '^[0-9]+$' || true; } | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}')
  printf '| %s | %s | %s |\n' "$s" "$(IFS='|'; echo "${row[*]}" | sed 's/|/ | /g')" "$median"
done
