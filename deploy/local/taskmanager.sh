#!/usr/bin/env bash
# Starts TaskManager K of the running local cluster again, after it died or was killed:
#   deploy/local/taskmanager.sh K
# A job that lost it waits for slots (the cluster's restart strategy keeps trying) and resumes from
# its last checkpoint once the TaskManager has registered. Waits for that registration.
set -euo pipefail
. "$(dirname "$0")/env.sh"

(($# == 1)) && [[ $1 =~ ^[1-9][0-9]*$ ]] || die "usage: deploy/local/taskmanager.sh K (K = 1, 2, ...)"
require_cluster
TM_CPUS=$(. "$RUN_DIR/cluster.env" && echo "${TM_CPUS:-}") # pinned as start.sh pinned it
export FLINK_CONF_DIR=$RUN_DIR/conf FLINK_PLUGINS_DIR=$RUN_DIR/flink/plugins
if pid=$(live_pid "taskmanager-$1"); then
  die "taskmanager-$1 is running (pid $pid)"
fi
start_taskmanager "$1"
deadline=$(($(date +%s) + ${UNROLL_START_TIMEOUT:-120}))
until rest_get /taskmanagers 2>/dev/null | grep -q "\"id\":\"taskmanager-$1\""; do
  live_pid "taskmanager-$1" >/dev/null || die "taskmanager-$1 exited during start-up; see $RUN_DIR/logs/taskmanager-$1.out"
  (($(date +%s) < deadline)) || die "taskmanager-$1 did not register; see $RUN_DIR/logs/taskmanager-$1.log"
  sleep 0.5
done
echo "taskmanager-$1 pid $(live_pid "taskmanager-$1"), registered (log $RUN_DIR/logs/taskmanager-$1.log)"
