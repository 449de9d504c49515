#!/usr/bin/env bash
# Submits a training job to the local cluster, detached:
#   deploy/local/submit.sh [--from-savepoint PATH] JOB.yaml [PARALLELISM]
# runs Flink's CliFrontend (`flink run -d [-s PATH] [-p P] unroll-job.jar --job JOB.yaml
# --bootstrap-servers 127.0.0.1:KAFKA_PORT [--parallelism P]`). Without PARALLELISM the job file's
# stream.parallelism applies; --from-savepoint resumes from a savepoint (see savepoint.sh). The job file and its network are read here, on the client; the
# job's topics are created if missing. Prints the job id (also kept in RUN_DIR/jobs/NAME.id).
set -euo pipefail
. "$(dirname "$0")/env.sh"

savepoint=
if [[ ${1:-} == --from-savepoint ]]; then
  (($# >= 2)) || die "--from-savepoint needs a path"
  savepoint=$2
  shift 2
fi
(($# >= 1 && $# <= 2)) || die "usage: deploy/local/submit.sh [--from-savepoint PATH] JOB.yaml [PARALLELISM]"
job=$(realpath "$1") || die "no such job file: $1"
[[ -f $job ]] || die "no such job file: $1"
parallelism=${2:-}
[[ -z $parallelism || $parallelism =~ ^[1-9][0-9]*$ ]] || die "PARALLELISM must be a positive whole number"
[[ -f $JOB_JAR ]] || die "no job jar at $JOB_JAR: build it with 'mvn -B package -DskipTests' (or set UNROLL_JOB_JAR)"
require_cluster

flink_args=(run -d)
[[ -z $savepoint ]] || flink_args+=(-s "$savepoint")
job_args=(--job "$job" --bootstrap-servers "$BOOTSTRAP")
if [[ -n $parallelism ]]; then
  flink_args+=(-p "$parallelism")
  job_args+=(--parallelism "$parallelism")
fi
out=$(FLINK_CONF_DIR=$RUN_DIR/conf FLINK_PLUGINS_DIR=$RUN_DIR/flink/plugins \
  "$JAVA" "${JAVA_MODULE_FLAGS[@]}" -Dlog4j.configurationFile="$RUN_DIR/conf/log4j-cli.properties" \
  -cp "$(classpath flink)" org.apache.flink.client.cli.CliFrontend "${flink_args[@]}" "$JOB_JAR" "${job_args[@]}" 2>&1) \
  || { echo "$out" >&2; die "submitting $job failed"; }
id=$(grep -o 'JobID [0-9a-f]\{32\}' <<<"$out" | tail -n 1 | cut -d' ' -f2 || true)
[[ -n $id ]] || { echo "$out" >&2; die "no job id in the client's output"; }
name=$(basename "$job")
echo "$id" >"$RUN_DIR/jobs/${name%.*}.id"
echo "job id: $id"
echo "job:    $REST_URL/jobs/$id"
