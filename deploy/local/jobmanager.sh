#!/usr/bin/env bash
# Starts the JobManager of the running local cluster again, after it died or was killed, as a
# supervisor would:
#   deploy/local/jobmanager.sh
# With UNROLL_HA=1 (start.sh's setting is kept in the run dir) it becomes the leader once the killed
# one's ZooKeeper session has ended, and recovers the jobs it ran from their newest checkpoints;
# the TaskManagers find it through ZooKeeper. Without HA its jobs are gone. Waits for the REST API.
set -euo pipefail
. "$(dirname "$0")/env.sh"

[[ -f $RUN_DIR/cluster.env ]] || die "no local cluster in $RUN_DIR; start one with deploy/local/start.sh"
if pid=$(live_pid jobmanager); then
  die "the jobmanager is running (pid $pid)"
fi
BROKER_CPUS=$(. "$RUN_DIR/cluster.env" && echo "${BROKER_CPUS:-}") # pinned as start.sh pinned it
export FLINK_CONF_DIR=$RUN_DIR/conf FLINK_PLUGINS_DIR=$RUN_DIR/flink/plugins
start_jobmanager
deadline=$(($(date +%s) + ${UNROLL_START_TIMEOUT:-120}))
until rest_get /overview >/dev/null 2>&1; do
  live_pid jobmanager >/dev/null || die "the jobmanager exited during start-up; see $RUN_DIR/logs/jobmanager.out"
  (($(date +%s) < deadline)) || die "the jobmanager's REST API did not answer; see $RUN_DIR/logs/jobmanager.log"
  sleep 0.5
done
echo "jobmanager pid $(live_pid jobmanager), REST API at $REST_URL (log $RUN_DIR/logs/jobmanager.log)"
