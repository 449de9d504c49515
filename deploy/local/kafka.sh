#!/usr/bin/env bash
# Starts the Kafka broker of the running local cluster again, after it died or was killed, as a
# supervisor would, on the data it had:
#   deploy/local/kafka.sh
# Jobs that lost it fail and restart (the cluster's restart strategy keeps trying) from their last
# checkpoint once it answers again. Waits until it listens.
set -euo pipefail
. "$(dirname "$0")/env.sh"

[[ -f $RUN_DIR/cluster.env ]] || die "no local cluster in $RUN_DIR; start one with deploy/local/start.sh"
BROKER_CPUS=$(. "$RUN_DIR/cluster.env" && echo "${BROKER_CPUS:-}") # pinned as start.sh pinned it
if pid=$(live_pid kafka); then
  die "the broker is running (pid $pid)"
fi
start_kafka
await_port kafka "$KAFKA_PORT" "${UNROLL_START_TIMEOUT:-120}"
echo "kafka pid $(live_pid kafka), listening at $BOOTSTRAP (log $RUN_DIR/logs/kafka.log)"
