#!/usr/bin/env bash
# The prediction path, measured from outside the job (see docs/performance.md, "Predictions"):
#
#   bench/predict.sh latency [--rate R] [--seconds S] [--warmup W] [--train-rate T]   # produce -> prediction while binary addition trains
#   bench/predict.sh throughput [--parallelism P] [--count N]   # predictions/s of `serve` on a backlog
#
# latency: `run` on the embedded default (one JVM: broker, MiniCluster, training and serving);
# kcat fills the sequences topic with 400,000 binary additions (training at full speed
# throughout), then `predict-bench --rate R` (its own JVM) sends requests at R/s for S s and
# times each one to its prediction, leaving out the first W s (default 10). The job's JIT takes about a
# minute to warm on 2 cores: --seconds 90 --warmup 60 measures after it (see docs/performance.md). With --train-rate T there is no backlog: predict-bench also
# sends T training sequences per second, so training runs at T/s. throughput: `serve` on the embedded default at parallelism P; kcat writes N requests
# at once, and `predict-bench --count N` reads the rate at which serve wrote the predictions from
# their timestamps. UNROLL_JOB_JAVA_OPTS (for example -XX:+UseZGC) go to the job's JVM. Needs kcat.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-$root/target/unroll.jar}"
job="${UNROLL_JOB:-$root/jobs/binary-addition.yaml}"
die() { echo "predict.sh: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: predict.sh latency|throughput [options] (see the top of this file)"
what="$1"; shift
rate=1000 seconds=30 warmup=10 parallelism=2 count=300000 trainrate=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --parallelism) parallelism="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --train-rate) trainrate="$2"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -f "$jar" ] || die "no jar at $jar: mvn -q package -DskipTests"
command -v kcat >/dev/null || die "needs kcat (apt-get install kcat)"

work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
servers="127.0.0.1:$port"

# user + system CPU seconds of the job's JVM so far
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat"; }

# waits until the job has created its predictions topic: it reads every request from then on
await_serving() {
  for _ in $(seq 1 120); do
    if kcat -b "$servers" -L -t unroll.binary-addition.predictions 2>/dev/null | grep -q 'partition 0'; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$work/job.log" >&2; die "the job stopped"; }
    sleep 1
  done
  die "the job did not start serving"
}

case "$what" in
  latency)
    [ "$trainrate" -gt 0 ] || java -jar "$jar" produce --job "$job" --out "$work/train.jsonl" --count 400000 --seed 1 --quiet
    java ${UNROLL_JOB_JAVA_OPTS:-} -jar "$jar" run --job "$job" --port "$port" --state-dir "$work/state" >"$work/job.log" 2>&1 &
    pid=$!
    await_serving
    if [ "$trainrate" -gt 0 ]; then
      java -jar "$jar" predict-bench --job "$job" --bootstrap-servers "$servers" --rate "$rate" --seconds "$seconds" \
        --warmup "$warmup" --train-rate "$trainrate"
    else
      kcat -b "$servers" -P -t unroll.binary-addition.sequences -l "$work/train.jsonl"
      sleep 5
      java -jar "$jar" predict-bench --job "$job" --bootstrap-servers "$servers" --rate "$rate" --seconds "$seconds" \
        --warmup "$warmup"
    fi
    tr '\r' '\n' <"$work/job.log" | grep 'sequences trained' | tail -n 1 | sed 's/^/training still running: /' >&2
    ;;
  throughput)
    java -jar "$jar" produce --job "$job" --out "$work/requests.jsonl" --count "$count" --seed 3 --quiet
    java -jar "$jar" serve --job "$job" --port "$port" --parallelism "$parallelism" >"$work/job.log" 2>&1 &
    pid=$!
    await_serving
    cpu0="$(cpu_seconds)"
    kcat -b "$servers" -P -t unroll.binary-addition.requests -l "$work/requests.jsonl"
    java -jar "$jar" predict-bench --job "$job" --bootstrap-servers "$servers" --count "$count"
    echo "serve used $(echo "$(cpu_seconds) - $cpu0" | bc) CPU seconds for the $count predictions (other processes shared the cores)" >&2
    ;;
  *) die "latency or throughput, not $what" ;;
esac
