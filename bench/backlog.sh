#!/usr/bin/env bash
# The live job started on a topic that already holds a large backlog (default 1,000,000
# binary-addition sequences): the heap, the checkpoints' sizes and durations over the run, and the
# result against `train` on the same sequences. See bench/README.md.
#
#   bench/backlog.sh [--jar PATH] [--job JOB.yaml] [--count C] [--checkpoint-ms MS]
#
# A Kafka broker runs from the jar (kafka.Kafka, KRaft, 127.0.0.1, a free port); kcat fills the
# job's sequences topic (one partition) before `run --bootstrap-servers` starts; the script polls
# Flink's REST API every 2 s while the job drains the topic. Needs kcat, curl and python3.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-target/unroll.jar}"
job="jobs/binary-addition.yaml" count=1000000 checkpoint_ms=5000
die() { echo "backlog.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --job) job="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --checkpoint-ms) checkpoint_ms="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
case "$jar" in /*) ;; *) jar="$root/$jar" ;; esac
case "$job" in /*) ;; *) job="$root/$job" ;; esac
[ -f "$jar" ] || die "no jar at $jar: build it (mvn -q package -DskipTests) or pass --jar PATH / UNROLL_JAR"
for tool in kcat curl python3; do command -v "$tool" >/dev/null || die "$tool is needed"; done

work="$(mktemp -d)"
broker_pid=""
cleanup() { [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port) controller=$(free_port)

# the job, its network beside it, with one partition and the chosen checkpoint interval
name=$(sed -n 's/^name: //p' "$job")
cp "$(dirname "$job")/$(sed -n 's/^network: //p' "$job")" "$work/"
sed "s/^name: .*/name: $name/" "$job" > "$work/job.yaml"
printf 'stream:\n  checkpointIntervalMs: %s\ntopics:\n  partitions: 1\n' "$checkpoint_ms" >> "$work/job.yaml"
topic="unroll.$name.sequences"

cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/kafka
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=16777216
PROPS
java -cp "$jar" kafka.tools.StorageTool format -t "$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" \
  -c "$work/server.properties" >"$work/format.log" 2>&1 || die "formatting Kafka storage failed"
java -Xmx512m -cp "$jar" kafka.Kafka "$work/server.properties" >"$work/kafka.log" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done

java -jar "$jar" produce --job "$work/job.yaml" --out "$work/data.jsonl" --count "$count" --seed 1 2>/dev/null
start=$(date +%s.%N)
kcat -b "127.0.0.1:$port" -P -t "$topic" -p 0 -l "$work/data.jsonl"
echo "backlog: $count sequences ($(du -m "$work/data.jsonl" | cut -f1) MB) in $topic, written in" \
  "$(python3 -c "print(round($(date +%s.%N) - $start, 1))") s by kcat"
java -jar "$jar" train --job "$work/job.yaml" --data "$work/data.jsonl" --out "$work/train.json" --quiet

java -jar "$jar" run --job "$work/job.yaml" --bootstrap-servers "127.0.0.1:$port" --state-dir "$work/state" \
  --max-sequences "$count" --out "$work/run.json" >"$work/run.log" 2>&1 &
run_pid=$!
url=""
: > "$work/samples"
while kill -0 "$run_pid" 2>/dev/null; do
  sleep 2
  [ -n "$url" ] || url=$(grep -ao 'http://127.0.0.1:[0-9]*/' "$work/run.log" | head -n 1 || true)
  [ -n "$url" ] || continue
  python3 - "$url" >>"$work/samples" 2>/dev/null <<'PY' || true
import json, sys, urllib.request
url = sys.argv[1]
get = lambda path: json.load(urllib.request.urlopen(url + path, timeout=5))
jobs = [j for j in get("jobs")["jobs"] if j["status"] == "RUNNING"]
tm = get("taskmanagers")["taskmanagers"][0]["id"]
heap = get(f"taskmanagers/{tm}/metrics?get=Status.JVM.Memory.Heap.Used")[0]["value"]
cp = get(f"jobs/{jobs[0]['id']}/checkpoints") if jobs else {}
print(json.dumps({"heap": int(float(heap)), "checkpoints": cp}))
PY
done
wait "$run_pid" || die "run failed: $(tail -n 5 "$work/run.log")"
tr '\r' '\n' < "$work/run.log" | grep -a 'sequences/s' | tail -n 1 | sed 's/^/run: /' || true

python3 - "$work/samples" "$work/train.json" "$work/run.json" <<'PY'
import json, sys
samples = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
heap = [s["heap"] for s in samples]
history = {}
for s in samples:
    for c in s["checkpoints"].get("history", []):
        history[c["id"]] = c
counts = samples[-1]["checkpoints"].get("counts", {}) if samples else {}
done = [c for c in history.values() if c["status"] == "COMPLETED"]
failed = [c for c in history.values() if c["status"] == "FAILED"]
print(f"heap used (sampled every 2 s): max {max(heap) / 2**20:.0f} MB, last {heap[-1] / 2**20:.0f} MB ({len(heap)} samples)")
if done:
    size = sorted(c["checkpointed_size"] for c in done)
    took = sorted(c["end_to_end_duration"] for c in done)
    print(f"checkpoints seen: {len(done)} completed, {len(failed)} failed (counts at the end: {counts})")
    print(f"checkpoint size: min {size[0] / 1024:.1f} KB, median {size[len(size) // 2] / 1024:.1f} KB, max {size[-1] / 1024:.1f} KB")
    print(f"checkpoint duration: min {took[0]} ms, median {took[len(took) // 2]} ms, max {took[-1]} ms")
t, r = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
flat = lambda n: [x for row in n["weights"] for x in row] + n["biases"] + n["initialState"]
worst = max(abs(a - b) / max(1.0, abs(a)) for a, b in zip(flat(t), flat(r)))
print(f"run vs train: sequences trained {r['provenance']['sequencesTrained']} of {t['provenance']['sequencesTrained']},"
      f" largest relative difference {worst:.1e} ({'equal' if worst <= 1e-9 else 'NOT equal'} to 1e-9)")
PY
