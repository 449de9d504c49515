#!/usr/bin/env bash
# Stops the local cluster started by start.sh: each process by its recorded pid (TaskManagers,
# then the JobManager, then the broker, then ZooKeeper), SIGTERM first and SIGKILL after UNROLL_STOP_TIMEOUT
# seconds (default 20). Only processes whose command line carries this run dir's marker are
# signalled. State and logs stay in the run dir until the next start.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mapfile -t names < <(process_names)

stopped=0
for name in "${names[@]}"; do
  if ! pid=$(live_pid "$name"); then
    rm -f "$RUN_DIR/pids/$name.pid"
    continue
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((${UNROLL_STOP_TIMEOUT:-20} * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  echo "stopped $name (pid $pid)"
  rm -f "$RUN_DIR/pids/$name.pid"
  stopped=$((stopped + 1))
done
rm -f "$RUN_DIR/cluster.env"
((stopped > 0)) || echo "nothing was running (run dir $RUN_DIR)"
