#!/usr/bin/env bash
# Sequences per second against parallelism on a real cluster (deploy/local), every TaskManager on
# cores of its own and the broker on others. See docs/scaling.md.
#
#   bench/scale.sh [--units "64 256"] [--counts "300000 40000"] [--stalenesses "0 1"]
#                  [--parallelisms "1 2 4 8"] [--seconds T] [--format avro|json] [--broker-cores B]
#
# Starts deploy/local with one single-slot TaskManager per core group, the largest P's worth,
# each pinned with taskset to floor((cores - B) / Pmax) cores of its own; the broker, the
# JobManager and the producer get the first B cores (default 2, 1 below 8 cores) and any left
# over. Per network size N it writes C sequences once (`unroll produce`, 62-bit binary addition,
# 100 steps, in --format, default avro) to a topic that every run of that size reads from its
# start. Each run is a fresh job (fully connected logistic N-unit network, batches of 32, S) at
# parallelism P, trained for T seconds (default 12) after its first version, then cancelled;
# its rate is 32 x (versions of the second half) / (their time), from the parameters topic's
# record timestamps. Prints one table. Where the machine has fewer than B + Pmax cores the
# cluster runs unpinned at the parallelisms up to its core count, and says what the rest needs.
# Needs kcat, curl, taskset, target/unroll.jar and target/unroll-job.jar (mvn -B package -DskipTests).
# Ports: 29092, 29093, 28081, 26123 unless UNROLL_KAFKA_PORT and the rest of deploy/local/env.sh say
# otherwise; run dir deploy/local/.run/scale (UNROLL_RUN_DIR).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
units_list="64 256" counts="300000 40000" stalenesses="0 1" parallelisms="1 2 4 8" seconds=12 format=avro
broker_cores=""
fail() { echo "scale.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --units) units_list="$2"; shift 2 ;;
    --counts) counts="$2"; shift 2 ;;
    --stalenesses) stalenesses="$2"; shift 2 ;;
    --parallelisms) parallelisms="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    --broker-cores) broker_cores="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) fail "unknown argument: $1 (see --help)" ;;
  esac
done
read -r -a units_arr <<<"$units_list"
read -r -a count_arr <<<"$counts"
read -r -a p_arr <<<"$parallelisms"
((${#units_arr[@]} == ${#count_arr[@]})) || fail "--counts needs one count per --units entry"
[[ $format == avro || $format == json ]] || fail "--format is avro or json"
[[ $seconds =~ ^[1-9][0-9]*$ ]] || fail "--seconds takes a whole number"
for x in "${units_arr[@]}" "${count_arr[@]}" "${p_arr[@]}" $stalenesses; do
  [[ $x =~ ^[0-9]+$ ]] || fail "not a whole number: $x"
done
for x in "${count_arr[@]}"; do ((x >= 64)) || fail "a count below 64 sequences: $x"; done
for tool in kcat curl taskset; do command -v "$tool" >/dev/null || fail "$tool is needed"; done

# ---- the layout: which parallelisms fit, and which cores each process gets ----
cores=$(nproc)
broker_cores=${broker_cores:-$((cores >= 8 ? 2 : 1))}
pmax=0
for p in "${p_arr[@]}"; do ((p > pmax)) && pmax=$p; done
runnable=() skipped=()
if ((cores >= broker_cores + pmax)); then
  per_tm=$(((cores - broker_cores) / pmax))
  runnable=("${p_arr[@]}")
  tms=$pmax
  tm_cpus=""
  for ((k = 0; k < pmax; k++)); do
    first=$((broker_cores + k * per_tm))
    tm_cpus+="${tm_cpus:+ }$first-$((first + per_tm - 1))"
  done
  broker_cpus="0-$((broker_cores - 1))"
  spare=$((broker_cores + pmax * per_tm))
  ((spare < cores)) && broker_cpus+=",$spare-$((cores - 1))"
  layout="pinned: broker, JobManager and producer on CPUs $broker_cpus; TaskManager k on the k-th of: $tm_cpus"
else
  # too few cores to give each its own: run what the cores can hold, unpinned, and say what the rest needs
  tms=0
  for p in "${p_arr[@]}"; do
    if ((p <= cores)); then
      runnable+=("$p")
      ((p > tms)) && tms=$p
    else
      skipped+=("$p")
    fi
  done
  ((tms > 0)) || fail "no parallelism of \"$parallelisms\" fits $cores cores"
  tm_cpus="" broker_cpus=""
  layout="unpinned: $cores cores are fewer than the $((broker_cores + pmax)) that the broker ($broker_cores) and one per TaskManager ($pmax) need, so the broker, the JobManager and the TaskManagers share them"
fi

export UNROLL_RUN_DIR=${UNROLL_RUN_DIR:-$root/deploy/local/.run/scale}
export UNROLL_KAFKA_PORT=${UNROLL_KAFKA_PORT:-29092} UNROLL_KAFKA_CONTROLLER_PORT=${UNROLL_KAFKA_CONTROLLER_PORT:-29093}
export UNROLL_FLINK_REST_PORT=${UNROLL_FLINK_REST_PORT:-28081} UNROLL_FLINK_RPC_PORT=${UNROLL_FLINK_RPC_PORT:-26123}
export UNROLL_TASKMANAGERS=$tms UNROLL_TM_SLOTS=1 UNROLL_BROKER_CPUS=$broker_cpus UNROLL_TM_CPUS=$tm_cpus
. "$root/deploy/local/env.sh"
cli_jar=${UNROLL_CLI_JAR:-$REPO_DIR/target/unroll.jar}
[[ -f $cli_jar && -f $JOB_JAR ]] || fail "build target/unroll.jar and target/unroll-job.jar first (mvn -B package -DskipTests)"
on_broker_cpus() { if [[ -n $broker_cpus ]]; then taskset -c "$broker_cpus" "$@"; else "$@"; fi; }

started=$(date +%s)
echo "scale.sh: $cores cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "scale.sh: $layout"
"$root/deploy/local/stop.sh" >/dev/null 2>&1 || true
"$root/deploy/local/start.sh" | sed 's/^/  /'
trap '"$root/deploy/local/stop.sh" >/dev/null 2>&1 || true' EXIT
work=$RUN_DIR/bench
mkdir -p "$work"

header() { # TOPIC OFFSET -> "VERSION TIMESTAMP_MS" of the parameter record at OFFSET (-1: the newest)
  kcat -b "$BOOTSTRAP" -C -t "$1" -o "$2" -c 1 -e -q -f '%o %T %h\n' 2>/dev/null \
    | sed -n 's/^\([0-9]*\) \([0-9]*\) .*unroll\.version=\([0-9]*\).*/\1 \3 \2/p'
}
job_state() { rest_get "/jobs/$1" | grep -o '"state":"[A-Z]*"' | head -n 1 | cut -d'"' -f4; }

declare -A rate
for i in "${!units_arr[@]}"; do
  n=${units_arr[$i]} count=${count_arr[$i]}
  network=$work/net$n.json topic=scale$n.sequences template=$work/scale$n.yaml
  "$JAVA" -jar "$cli_jar" init --units "$n" --inputs 0,1 --outputs 2 --loss cross-entropy --scale 0.1 --seed 1 \
    --out "$network" >/dev/null
  cat >"$template" <<YAML
name: scale$n
network: $network
training:
  batchSize: 32
  learningRate: 0.1
  momentum: 0.9
  clipNorm: 1.0
stream:
  sequenceFormat: $format
topics:
  sequences: $topic
  partitions: 1
task:
  type: binary-addition
  minBits: 62
  maxBits: 62
  delay: 38
  carryOut: true
YAML
  t0=$(date +%s)
  on_broker_cpus "$JAVA" -jar "$cli_jar" produce --job "$template" --bootstrap-servers "$BOOTSTRAP" --count "$count" \
    --seed 1 --quiet
  echo "$n units: $count sequences ($format) written to $topic in $(($(date +%s) - t0)) s"
  for s in $stalenesses; do
    for p in "${runnable[@]}"; do
      name=scale$n-s$s-p$p-$(date +%s)
      job=$work/$name.yaml
      sed -e "s/^name: .*/name: $name/" -e "s/^training:/training:\n  staleness: $s/" "$template" >"$job"
      id=$("$LOCAL_DIR/submit.sh" "$job" "$p" | sed -n 's/^job id: //p')
      params=unroll.$name.parameters
      deadline=$(($(date +%s) + ${UNROLL_BENCH_TIMEOUT:-300}))
      until [[ -n $(header "$params" -1) ]]; do
        state=$(job_state "$id")
        [[ $state == RUNNING || $state == CREATED || $state == INITIALIZING ]] || fail "job $id ($name) is $state"
        (($(date +%s) < deadline)) || fail "$name: no version within ${UNROLL_BENCH_TIMEOUT:-300} s"
        sleep 0.5
      done
      sleep "$seconds"
      curl -fsS -X PATCH "$REST_URL/jobs/$id?mode=cancel" >/dev/null || true
      read -r last_offset last_version last_ms <<<"$(header "$params" -1)"
      read -r _ mid_version mid_ms <<<"$(header "$params" $((last_offset / 2)))"
      if ((last_version - mid_version < 2 || last_ms <= mid_ms)); then
        r=0
      else
        r=$(awk -v v=$((last_version - mid_version)) -v ms=$((last_ms - mid_ms)) 'BEGIN {printf "%.0f", 32 * v * 1000 / ms}')
      fi
      rate[$n,$s,$p]=$r
      note=""
      ((last_version * 32 >= count)) && note=" (the data ran out: give --counts more)"
      echo "  N=$n S=$s P=$p: $r sequences/s over versions $mid_version..$last_version$note"
      # its slots must be free before the next job asks for them
      until [[ $(job_state "$id") =~ ^(CANCELED|FAILED|FINISHED)$ ]]; do sleep 0.5; done
    done
  done
done

echo
echo "| units, S | $(for p in "${p_arr[@]}"; do printf 'P = %s seq/s | ' "$p"; done)P = ${p_arr[-1]} / P = ${p_arr[0]} |"
echo "| --- | $(for p in "${p_arr[@]}"; do printf -- '---: | '; done)---: |"
for n in "${units_arr[@]}"; do
  for s in $stalenesses; do
    row="| $n, $s |"
    for p in "${p_arr[@]}"; do row+=" ${rate[$n,$s,$p]:--} |"; done
    a=${rate[$n,$s,${p_arr[0]}]:-} b=${rate[$n,$s,${p_arr[-1]}]:-}
    if [[ -n $a && -n $b && $a != 0 ]]; then
      row+=" $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}') |"
    else
      row+=" - |"
    fi
    echo "$row"
  done
done
echo
echo "$layout; 100 steps, batches of 32, $format records, $seconds s per run after its first version; $(($(date +%s) - started)) s in all"
for p in "${skipped[@]}"; do
  echo "P = $p not run: it needs $((broker_cores + p)) cores (the broker's $broker_cores and one per TaskManager); this machine has $cores"
done
