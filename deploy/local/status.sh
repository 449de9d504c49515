#!/usr/bin/env bash
# Shows the local cluster: which processes run, the Flink overview (TaskManagers, slots, jobs)
# and every job with its state, from the REST API (/overview, /jobs/overview, /taskmanagers).
# Exits non-zero when the cluster is not (fully) running.
set -uo pipefail
. "$(dirname "$0")/env.sh"

down=0
for name in $(process_names); do
  if pid=$(live_pid "$name"); then
    printf '%-14s running  pid %s\n' "$name" "$pid"
  else
    printf '%-14s stopped\n' "$name"
    down=1
  fi
done
if ! overview=$(rest_get /overview 2>/dev/null); then
  echo "flink rest:    no answer at $REST_URL"
  exit 1
fi
echo "kafka bootstrap: $BOOTSTRAP"
echo "flink rest:      $REST_URL"
if command -v jq >/dev/null; then
  jq -r '"flink:           \(.taskmanagers) taskmanagers, \(."slots-total") slots (\(."slots-available") free), \(."jobs-running") jobs running, \(."jobs-finished") finished, \(."jobs-cancelled") cancelled, \(."jobs-failed") failed"' <<<"$overview"
  rest_get /taskmanagers | jq -r '.taskmanagers[] | "  taskmanager \(.id): \(.slotsNumber) slots, \(.freeSlots) free"'
  rest_get /jobs/overview | jq -r '.jobs[] | "  job \(.jid) \(.state) \(.name) (\(.duration / 1000 | floor) s)"'
else
  echo "flink overview:  $overview"
  echo "flink jobs:      $(rest_get /jobs/overview)"
fi
exit $down
