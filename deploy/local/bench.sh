#!/usr/bin/env bash
# Training throughput on the local cluster at several parallelisms, in one run:
#   deploy/local/bench.sh [--staleness S] [--units N] [COUNT] [PARALLELISM...]
#                                                        (defaults: S 0, 4096 sequences, P = 1 2)
# The job is deploy/local/bench/adder64.yaml: a 64-unit fully connected network, sequences of
# exactly 50 steps (48-bit binary addition), 32 sequences per update; with --units N, the same
# task on a fully connected N-unit network with sequences of exactly 100 steps (62-bit addition,
# the sum delayed), as bench/pipeline.sh; --staleness S sets training.staleness. COUNT sequences are
# generated once (`unroll produce`, seed 1) and, for each P, written with kcat to a fresh job's
# sequences topic right after the job is submitted; the job trains until version COUNT/32.
# Throughput is read from the parameters topic's record timestamps t_1..t_K (start-up excluded):
#   seq/s v1..vK   = 32 * (K - 1) / (t_K - t_1)
#   seq/s 2nd half = 32 * (K - K/2) / (t_K - t_K/2)   (JIT warm-up excluded too)
# and the median time between consecutive versions is one synchronous update.
# Needs a running cluster (start.sh), kcat, and target/unroll.jar + target/unroll-job.jar
# (`mvn -B package -DskipTests`; UNROLL_CLI_JAR / UNROLL_JOB_JAR point elsewhere).
set -euo pipefail
. "$(dirname "$0")/env.sh"

staleness=0 units=64
while [[ ${1:-} == --* ]]; do
  case $1 in
    --staleness) staleness=$2; shift 2 ;;
    --units) units=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ $staleness =~ ^[0-9]+$ && $units =~ ^[1-9][0-9]*$ ]] || die "--staleness and --units take whole numbers"
count=${1:-4096}
shift || true
parallelisms=("$@")
((${#parallelisms[@]})) || parallelisms=(1 2)
cli_jar=${UNROLL_CLI_JAR:-$REPO_DIR/target/unroll.jar}
work=$RUN_DIR/bench
mkdir -p "$work"
template=$LOCAL_DIR/bench/adder64.yaml
network=$LOCAL_DIR/bench/adder64.network.json
steps=50
if ((units != 64)); then
  network=$work/net$units.json
  steps=100
  "$JAVA" -jar "$cli_jar" init --units "$units" --inputs 0,1 --outputs 2 --loss cross-entropy --scale 0.1 --seed 1 \
    --out "$network" >/dev/null
  template=$work/adder$units.yaml
  sed -e "s/^name: .*/name: adder$units/" -e "s#^network: .*#network: $network#" \
    -e "s/minBits: 48/minBits: 62/; s/maxBits: 48/maxBits: 62/; s/delay: 2/delay: 38/" \
    "$LOCAL_DIR/bench/adder64.yaml" >"$template"
fi
batch=$(sed -n 's/^  batchSize: *\([0-9]*\).*/\1/p' "$template")
[[ $count =~ ^[0-9]+$ ]] && ((count >= 2 * batch && count % batch == 0)) \
  || die "COUNT must be a multiple of the batch size $batch, at least two batches"
versions=$((count / batch))
command -v kcat >/dev/null || die "kcat is needed (apt-get install -y kcat)"
[[ -f $cli_jar ]] || die "no $cli_jar: build it with 'mvn -B package -DskipTests' (or set UNROLL_CLI_JAR)"
require_cluster

data=$work/adder$units-$count.jsonl
if [[ ! -s $data ]]; then
  "$JAVA" -jar "$cli_jar" produce --job "$template" --out "$data" --count "$count" --seed 1 --quiet
fi

last_version() { # TOPIC -> the newest version number in it (0 when empty)
  local v
  v=$(kcat -b "$BOOTSTRAP" -C -t "$1" -o -1 -e -q -f '%h\n' 2>/dev/null | grep -o 'unroll.version=[0-9]*' | tail -n 1 | cut -d= -f2)
  echo "${v:-0}"
}

echo "bench: $(basename "$template") ($count sequences of $steps steps, $units units, batch $batch, staleness $staleness, $versions updates)"
echo "cluster: $(grep -c . <(ls "$RUN_DIR"/pids/taskmanager-*.pid)) TaskManagers x $(grep TM_SLOTS "$RUN_DIR/cluster.env" | cut -d= -f2) slot(s); $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for p in "${parallelisms[@]}"; do
  name=adder$units-p$p-$(date +%s)
  job=$work/$name.yaml
  sed -e "s/^name: .*/name: $name/" -e "s#^network: .*#network: $network#" \
    -e "s/^training:/training:\n  staleness: $staleness/" "$template" >"$job"
  submitted=$(date +%s%3N)
  id=$("$LOCAL_DIR/submit.sh" "$job" "$p" | sed -n 's/^job id: //p')
  kcat -b "$BOOTSTRAP" -P -t "unroll.$name.sequences" -l "$data"
  deadline=$(($(date +%s) + ${UNROLL_BENCH_TIMEOUT:-900}))
  until (($(last_version "unroll.$name.parameters") >= versions)); do
    state=$(rest_get "/jobs/$id" | grep -o '"state":"[A-Z]*"' | head -n 1 | cut -d'"' -f4)
    [[ $state == RUNNING || $state == CREATED || $state == INITIALIZING ]] || die "job $id is $state"
    (($(date +%s) < deadline)) || die "P=$p: not at version $versions within ${UNROLL_BENCH_TIMEOUT:-900} s"
    sleep 1
  done
  curl -fsS -X PATCH "$REST_URL/jobs/$id?mode=cancel" >/dev/null || true
  # record timestamps (ms) of versions 1..K, in order: one partition, no restarts
  mapfile -t stamps < <(kcat -b "$BOOTSTRAP" -C -t "unroll.$name.parameters" -o beginning -c "$versions" -e -q -f '%T\n')
  ((${#stamps[@]} == versions)) || die "P=$p: read ${#stamps[@]} parameter records, expected $versions"
  first=${stamps[0]}
  half=${stamps[$((versions / 2 - 1))]}
  last=${stamps[$((versions - 1))]}
  rate() { awk -v n="$1" -v ms="$2" 'BEGIN {printf "%.0f", n * 1000 / ms}'; }
  steady=$(rate $((batch * (versions - 1))) $((last - first)))
  warm=$(rate $((batch * (versions - versions / 2))) $((last - half)))
  median=$(for ((k = 1; k < versions; k++)); do echo $((stamps[k] - stamps[k - 1])); done | sort -n |
    awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
  results+=("$(printf '%-3s %8s %14s %16s %16s %17s' "$p" "$versions" "$steady" "$warm" "$median" \
    "$(awk -v ms=$((first - submitted)) 'BEGIN {printf "%.1f", ms / 1000}')")")
  echo "P=$p done: job $id, $steady sequences/s from version 1 to $versions, $warm over the second half"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-3s %8s %14s %16s %16s %17s\n' P updates "seq/s v1..vK" "seq/s 2nd half" "ms/update p50" "submit->v1 (s)"
printf '%s\n' "${results[@]}"
