#!/usr/bin/env bash
# The events input on the embedded default (see docs/events.md):
#   1. throughput: E events (default 200,000) of jobs/sensors.yaml's readings, cut into sequences
#      and trained by `replay --events`, at P = 1 and P = 2, interleaved, R runs each (default 3):
#      events per second over the second half of the versions (the replay's steady rate in
#      sequences/s, times events per sequence), medians, and the ratio P=2 / P=1;
#   2. state: the same input at P = 1 with a checkpoint every second: the newest completed
#      checkpoint's size, and per key (per device).
#
#   bench/events.sh [--jar PATH] [--events E] [--runs R] [--job JOB.yaml]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-target/unroll.jar}"
events=200000 runs=3 job="$root/jobs/sensors.yaml"
die() { echo "events.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --job) job="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
case "$jar" in /*) ;; *) jar="$root/$jar" ;; esac
[ -f "$jar" ] || die "no jar at $jar: build it (mvn -q package -DskipTests) or pass --jar PATH / UNROLL_JAR"
command -v python3 >/dev/null || die "needs python3 (medians, and Flink's REST answers)"
command -v curl >/dev/null || die "needs curl (Flink's REST API for the checkpoint sizes)"
. "$here/checkpoints.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"; rm -f "$(dirname "$job")"/.events-bench-$$.yaml' EXIT
java -jar "$jar" produce --job "$job" --out "$work/events.jsonl" --count "$events" --seed 1 --quiet
java -jar "$jar" assemble --job "$job" --events "$work/events.jsonl" --out "$work/cut.jsonl" 2> "$work/assemble"
sequences=$(wc -l < "$work/cut.jsonl")
devices=$(python3 -c 'import json,sys
print(len({json.loads(l)["key"] for l in open(sys.argv[1])}))' "$work/cut.jsonl")
echo "== $events events of $devices keys, cut into $sequences sequences; P = 1 and 2, $runs runs each (interleaved)"

declare -A rate
for r in $(seq 1 "$runs"); do
  for p in 1 2; do
    java -jar "$jar" replay --job "$job" --events "$work/events.jsonl" --out "$work/out-$p.json" --parallelism "$p" \
      2> "$work/log-$p-$r"
    steady=$(sed -nE 's/.*; ([0-9]+) sequences\/s over the second half.*/\1/p' "$work/log-$p-$r" | tail -1)
    [ -n "$steady" ] || die "replay at P=$p printed no rate: see $work/log-$p-$r"
    echo "run $r, P=$p: $steady sequences/s over the second half"
    rate[$p]+="$steady "
  done
done
python3 - "$events" "$sequences" "${rate[1]}" "${rate[2]}" <<'PY'
import sys, statistics
events, sequences = int(sys.argv[1]), int(sys.argv[2])
per = events / sequences
m = [statistics.median(float(x) for x in sys.argv[k].split()) for k in (3, 4)]
print("median events/s (sequences/s x %.2f events per sequence): P=1 %.0f, P=2 %.0f, ratio %.2f"
      % (per, m[0] * per, m[1] * per, m[1] / m[0]))
PY

echo "== state: P = 1, heap state, a checkpoint every second"
ckjob="$(dirname "$job")/.events-bench-$$.yaml"
{ cat "$job"; printf 'stream:\n  stateBackend: hashmap\n  checkpointDir: file://%s/checkpoints\n' "$work"; } > "$ckjob"
replay_polling "$jar" "$work/ck" --job "$ckjob" --events "$work/events.jsonl" --out "$work/ck.json" \
  --parallelism 1 --checkpoint-ms 1000
[ -s "$work/ck.ckpt" ] || { echo "no checkpoint completed during the run (input too small)"; exit 0; }
python3 - "$work/ck.ckpt" "$devices" <<'PY'
import sys, json
c = json.load(open(sys.argv[1])); k = int(sys.argv[2])
print("newest checkpoint %d: state %d bytes, %.0f bytes per key, %d ms end to end" % (c["id"], c["state_size"], c["state_size"] / k, c["end_to_end_duration"]))
PY
