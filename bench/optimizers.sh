#!/usr/bin/env bash
# What the optimizer costs in learning: sequences `train` needs before every held-out sequence is
# right (every binary target on its side), under the job's own rule (sgd with its momentum) and
# under Adam and AdaGrad at the given learning rates, for three data seeds (where a run never gets
# there: the share of held-out sequences right at the end). See docs/optimizers.md.
#
#   bench/optimizers.sh [--jar PATH] [--job JOB.yaml] [--adam "0.003 0.01 0.03"] [--adagrad "0.1 0.3"]
#                       [--seeds "1 2 3"] [--count C]
#
# Every run trains the job's network from the same start on C sequences (default 60000) generated
# with the seed, scores 500 held-out sequences (seed 1000) every 10 versions and stops once all are right.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-target/unroll.jar}"
job="jobs/binary-addition.yaml" rates="0.003 0.01 0.03" adagrad="" seeds="1 2 3" count=60000
die() { echo "optimizers.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --job) job="$2"; shift 2 ;;
    --adam) rates="$2"; shift 2 ;;
    --adagrad) adagrad="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
case "$jar" in /*) ;; *) jar="$root/$jar" ;; esac
case "$job" in /*) ;; *) job="$root/$job" ;; esac
[ -f "$jar" ] || die "no jar at $jar: build it (mvn -q package -DskipTests) or pass --jar PATH / UNROLL_JAR"

work="$(mktemp -d)"
copies=()
trap 'rm -rf "$work" "${copies[@]}"' EXIT
java -jar "$jar" produce --job "$job" --out "$work/held.jsonl" --count 500 --seed 1000 2>/dev/null
for seed in $seeds; do
  java -jar "$jar" produce --job "$job" --out "$work/train-$seed.jsonl" --count "$count" --seed "$seed" 2>/dev/null
done

# one row: the rule's name, then the job file to train with
row() {
  local name="$1" copy="$2" cells=() line n right
  for seed in $seeds; do
    line=$(java -jar "$jar" train --job "$copy" --data "$work/train-$seed.jsonl" --out "$work/out.json" \
             --until-right "$work/held.jsonl" --quiet 2>&1 | grep 'held-out' || true)
    n=$(sed -nE 's/.* right after ([0-9]+) sequences.*/\1/p' <<<"$line")
    right=$(sed -nE 's/.*\(([0-9.]+%) right\).*/\1/p' <<<"$line")
    cells+=("${n:-not within $count ($right right)}")
  done
  # the median only when every seed got there
  median=$(printf '%s\n' "${cells[@]}" | { grep -E '^[0-9]+$' || true; } | sort -n \
             | awk -v seeds="$(wc -w <<<"$seeds")" '{a[NR]=$1} END {if (NR == seeds) print a[int((NR+1)/2)]; else print "-"}')
  printf '| %s | %s | %s |\n' "$name" "$(IFS='|'; echo "${cells[*]}" | sed 's/|/ | /g')" "$median"
}

printf '| rule | %s | median |\n|---|%s---:|\n' "$(for s in $seeds; do printf 'seed %s | ' "$s"; done | sed 's/ | $//')" \
  "$(for s in $seeds; do printf -- '---:|'; done)"
lr=$(sed -nE 's/^  learningRate: *([0-9.eE+-]+).*/\1/p' "$job")
momentum=$(sed -nE 's/^  momentum: *([0-9.eE+-]+).*/\1/p' "$job")
row "sgd, learning rate ${lr:-0.1}, momentum ${momentum:-0}" "$job"
for rule in $(for r in $rates; do echo "adam:$r"; done) $(for r in $adagrad; do echo "adagrad:$r"; done); do
  optimizer="${rule%%:*}" rate="${rule#*:}"
  # the job with this optimizer and rate (momentum dropped), a copy beside it so its network path resolves
  copy="$(dirname "$job")/.optimizers-$optimizer-$rate-$$.yaml"
  copies+=("$copy")
  sed "/^  momentum:/d; /^  optimizer:/d; s/^  learningRate:.*/  learningRate: $rate/; s/^training:/training:\n  optimizer: $optimizer/" \
    "$job" > "$copy"
  row "$optimizer, learning rate $rate" "$copy"
done
