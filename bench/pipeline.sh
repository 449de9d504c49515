#!/usr/bin/env bash
# The streaming pipeline's cost over the arithmetic: `train` (the plain in-process loop) against
# `replay` (the Flink job on an embedded broker and MiniCluster, parameters fed back through
# Kafka) at parallelism 1 and 2, on the same generated data, in one run. See bench/README.md.
#
#   bench/pipeline.sh [--jar PATH] [--units N] [--batch B] [--staleness S] [--count C] [--runs R] [--format F] [--cpu]
#   bench/pipeline.sh [--jar PATH] --job JOB.yaml [--staleness S] [--count C] [--runs R] [--format F] [--cpu]
#
# Binary addition of 62-bit numbers with the sum delayed so every sequence has 100 steps, on a
# fully connected logistic network of N units (default 256), B sequences per update (default 32),
# training.staleness S (default 0), C sequences (default 16384). With --job, that job and C of its
# task's sequences instead (S, when given, replaces the job's). Each command runs R times (default
# 3), interleaved; the table gives medians of the steady rate (over the second half of the
# versions) and of the warm-up. `train` computes on one thread, as one BPTT instance does.
# --format json|avro (default json) is the job's stream.sequenceFormat: the record format `replay`
# publishes the data in. --cpu runs each replay under bench/thread_cpu.py --per-sequence and prints
# its CPU per sequence by thread group over the second half.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-target/unroll.jar}"
units=256 batch=32 count=16384 runs=3 staleness="" job="" format=json cpu=""
die() { echo "pipeline.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --units) units="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --staleness) staleness="$2"; shift 2 ;;
    --job) job="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    --cpu) cpu=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
case "$jar" in /*) ;; *) jar="$root/$jar" ;; esac
[ "$format" = json ] || [ "$format" = avro ] || die "--format is json or avro"
[ -f "$jar" ] || die "no jar at $jar: build it (mvn -q package -DskipTests) or pass --jar PATH / UNROLL_JAR"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "$job" ]; then
  case "$job" in /*) ;; *) job="$root/$job" ;; esac
  [ -f "$job" ] || die "no job file $job"
  cp "$(dirname "$job")/$(sed -n 's/^network: //p' "$job")" "$work/"
  sed '/^  staleness:/d' "$job" > "$work/job.yaml"
  if [ -n "$staleness" ]; then
    sed -i "s/^training:/training:\n  staleness: $staleness/" "$work/job.yaml"
  else
    staleness=$(sed -n 's/^  staleness: //p' "$job"); staleness=${staleness:-0}
    [ "$staleness" = 0 ] || sed -i "s/^training:/training:\n  staleness: $staleness/" "$work/job.yaml"
  fi
  units=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['units'])" "$work/$(sed -n 's/^network: //p' "$job")")
  batch=$(sed -n 's/^  batchSize: //p' "$job")
  steps=$(basename "$job" .yaml)
else
staleness=${staleness:-0}
steps=100
name="pipeline-bench-$units-$batch"
java -jar "$jar" init --units "$units" --inputs 0,1 --outputs 2 --loss cross-entropy --scale 0.1 --seed 1 \
  --out "$work/network.json" >/dev/null
cat > "$work/job.yaml" <<YAML
name: $name
network: network.json
training:
  batchSize: $batch
  learningRate: 0.1
  momentum: 0.9
  clipNorm: 1.0
  staleness: $staleness
task:
  type: binary-addition
  minBits: 62
  maxBits: 62
  delay: 38
  carryOut: true
YAML
fi
java -jar "$jar" produce --job "$work/job.yaml" --out "$work/data.jsonl" --count "$count" --seed 1 2>/dev/null
sed -i '/^  sequenceFormat:/d' "$work/job.yaml"
if grep -q '^stream:' "$work/job.yaml"; then
  sed -i "s/^stream:/stream:\n  sequenceFormat: $format/" "$work/job.yaml"
else
  printf 'stream:\n  sequenceFormat: %s\n' "$format" >> "$work/job.yaml"
fi

# "<label>: warm-up W s to the first version, then R sequences/s; S sequences/s over the second half ..."
run() {
  local label="$1"; shift
  local wrap=()
  [ -z "$cpu" ] || [ "$1" = train ] || wrap=(python3 "$here/thread_cpu.py" --busy '^bptt' --per-sequence --)
  "${wrap[@]}" java -jar "$jar" "$@" --job "$work/job.yaml" --data "$work/data.jsonl" --out "$work/out-$label.json" \
    >"$work/log" 2>&1 || { tail -n 5 "$work/log" >&2; die "$label failed"; }
  [ -z "${wrap[*]}" ] || grep -E '^(training window|its second half|CPU per sequence|outside)' "$work/log" | sed "s/^/  $label /"
  tr '\r' '\n' <"$work/log" | grep 'warm-up' | sed -E "s/^[a-z]+:/$label/" | tee -a "$work/lines" \
    || { tail -n 5 "$work/log" >&2; die "$label printed no rates"; }
}
echo "pipeline.sh: $units units, steps $steps, batches of $batch, staleness $staleness, $count sequences, $format records, $runs runs each; load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$runs"); do
  run train train
  run replay-p1 replay --parallelism 1
  run replay-p2 replay --parallelism 2
done
python3 - "$work/lines" "$units" "$batch" "$count" "$steps" "$staleness" <<'PY'
import re, statistics, sys
steady, warm = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'(\S+) warm-up ([\d.]+) s .* then (\d+) sequences/s; (\d+) sequences/s over the second half', line)
    if m:
        steady.setdefault(m[1], []).append(float(m[4])); warm.setdefault(m[1], []).append(float(m[2]))
med = {k: statistics.median(v) for k, v in steady.items()}
w = {k: statistics.median(v) for k, v in warm.items()}
units, batch, count, steps, staleness = sys.argv[2:7]
print()
print("| units, steps (or job), batch, S | train seq/s | replay P=1 seq/s | P=1 / train | replay P=2 seq/s | P=2 / P=1 | warm-up to version 1 (train / P=1 / P=2) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
print(f"| {units}, {steps}, {batch}, {staleness} | {med['train']:.0f} | {med['replay-p1']:.0f} | {med['replay-p1'] / med['train']:.2f} "
      f"| {med['replay-p2']:.0f} | {med['replay-p2'] / med['replay-p1']:.2f} "
      f"| {w['train']:.1f} s / {w['replay-p1']:.1f} s / {w['replay-p2']:.1f} s |")
print()
print("steady rates (sequences/s over the second half of the versions), every run:",
      {k: [int(x) for x in v] for k, v in steady.items()})
PY
