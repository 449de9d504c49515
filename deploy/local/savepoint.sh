#!/usr/bin/env bash
# Takes a savepoint of a running job through the REST API and prints its path:
#   deploy/local/savepoint.sh JOB_ID [--stop]
# With --stop the job stops with the savepoint (POST /jobs/ID/stop, no drain: the last batch is
# not forced out), as an upgrade or a rescale needs; otherwise it keeps running.
# Savepoints go to RUN_DIR/flink/savepoints. Resume with submit.sh --from-savepoint PATH.
set -euo pipefail
. "$(dirname "$0")/env.sh"

(($# >= 1 && $# <= 2)) || die "usage: deploy/local/savepoint.sh JOB_ID [--stop]"
id=$1
require_cluster
if [[ ${2:-} == --stop ]]; then
  trigger=$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"drain": false}' "$REST_URL/jobs/$id/stop")
else
  trigger=$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"cancel-job": false}' "$REST_URL/jobs/$id/savepoints")
fi
request=$(grep -o '"request-id":"[^"]*"' <<<"$trigger" | cut -d'"' -f4)
[[ -n $request ]] || die "no savepoint was triggered: $trigger"
for _ in $(seq 600); do
  status=$(rest_get "/jobs/$id/savepoints/$request")
  if grep -q '"id":"COMPLETED"' <<<"$status"; then
    location=$(grep -o '"location":"[^"]*"' <<<"$status" | cut -d'"' -f4)
    [[ -n $location ]] || die "the savepoint failed: $status"
    echo "$location"
    exit 0
  fi
  sleep 0.2
done
die "the savepoint did not complete within 120 s"
