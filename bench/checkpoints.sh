# Sourced by the bench scripts: a replay whose newest completed checkpoint is polled from Flink's
# REST API while it runs.
#
# replay_polling JAR LOG ARGS...: `java -jar JAR replay ARGS...` with its stderr in LOG, and the
# newest completed checkpoint (the JSON of /jobs/ID/checkpoints' latest.completed) in LOG.ckpt.
replay_polling() {
  local jar="$1" log="$2"; shift 2
  java -Dunroll.dashboard.port=0 -jar "$jar" replay "$@" 2> "$log" &
  local pid=$! url="" jid=""
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.5
    [ -z "$url" ] && url=$(sed -nE 's/.*Flink dashboard: *(http[^ ]*).*/\1/p' "$log" | head -1)
    [ -z "$url" ] && continue
    [ -z "$jid" ] && jid=$(curl -s "${url}jobs/overview" 2>/dev/null | python3 -c 'import sys,json
try: print(json.load(sys.stdin)["jobs"][0]["jid"])
except Exception: pass' || true)
    [ -z "$jid" ] && continue
    curl -s "${url}jobs/$jid/checkpoints" 2>/dev/null | python3 -c 'import sys,json
try:
    c=json.load(sys.stdin)["latest"]["completed"]
    if c: print(json.dumps(c))
except Exception: pass' > "$log.now" || true
    [ -s "$log.now" ] && mv "$log.now" "$log.ckpt"
  done
  wait "$pid"
}
