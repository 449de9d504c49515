#!/usr/bin/env bash
# Per-key models at scale on the embedded default (see docs/per-key.md and docs/performance.md):
#   1. throughput: K keys (default 10,000) of binary-addition nets, S sequences each (default 32),
#      replayed at P = 1 and P = 2, interleaved, R runs each (default 2): sequences/s from the first
#      version to the last and over the second half of the versions (after most of the JIT's work),
#      and the ratio P=2 / P=1 of the medians; with --baseline, that jar's runs interleaved with them;
#   2. state per key: the same input at P = 1 with heap state and a checkpoint every second: the
#      newest completed checkpoint's state size over the keys;
#   3. RocksDB: K2 keys (default 100,000), 8 sequences each in batches of 4, checkpoints every 2 s:
#      the newest completed checkpoint's full state size, incremental size and duration.
#
#   bench/perkey.sh [--jar PATH] [--baseline PATH] [--keys K] [--per-key S] [--runs R] [--rocksdb-keys K2]
#
# Checkpoint figures come from Flink's REST API (/jobs/ID/checkpoints), polled while the replay runs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-target/unroll.jar}"
keys=10000 perkey=32 runs=2 rockskeys=100000 baseline=""
die() { echo "perkey.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --keys) keys="$2"; shift 2 ;;
    --per-key) perkey="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --rocksdb-keys) rockskeys="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
case "$jar" in /*) ;; *) jar="$root/$jar" ;; esac
[ -f "$jar" ] || die "no jar at $jar: build it (mvn -q package -DskipTests) or pass --jar PATH / UNROLL_JAR"
if [ -n "$baseline" ]; then
  case "$baseline" in /*) ;; *) baseline="$root/$baseline" ;; esac
  [ -f "$baseline" ] || die "no baseline jar at $baseline"
fi
command -v python3 >/dev/null || die "needs python3 (to give the sequences keys and read Flink's REST answers)"

work="$(mktemp -d)"
trap 'rm -rf "$work"; rm -f "$root"/jobs/.perkey-*-$$.yaml' EXIT
job() { # job NAME EXTRA-TRAINING-LINES EXTRA-STREAM-LINES: binary-addition with per-key models, beside the original
  local f="$root/jobs/.perkey-$1-$$.yaml"
  sed "s/^training:/training:\n  models: per-key$2/" "$root/jobs/binary-addition.yaml" > "$f"
  [ -n "$3" ] && printf 'stream:\n%b\n' "$3" >> "$f"
  echo "$f"
}
keyed() { # keyed COUNT KEYS OUT: COUNT binary-addition sequences, line i with key device-(i mod KEYS)
  java -jar "$jar" produce --job "$root/jobs/binary-addition.yaml" --out "$work/plain.jsonl" --count "$1" --seed 1 2>/dev/null
  python3 - "$work/plain.jsonl" "$2" "$3" <<'PY'
import sys
src, keys, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(src) as f, open(out, "w") as o:
    for i, line in enumerate(f):
        o.write('{"key":"device-%07d",' % (i % keys) + line[1:])
PY
}
. "$here/checkpoints.sh"

echo "== throughput: $keys keys x $perkey sequences, P = 1 and 2, $runs runs each (interleaved)${baseline:+, against the baseline $baseline}"
keyed $((keys * perkey)) "$keys" "$work/keyed.jsonl"
plain=$(job plain "" "")
declare -A jars=([jar]="$jar") rate half
[ -n "$baseline" ] && jars[baseline]="$baseline"
for r in $(seq 1 "$runs"); do
  for p in 1 2; do
    for which in baseline jar; do
      [ -n "${jars[$which]:-}" ] || continue
      java -jar "${jars[$which]}" replay --job "$plain" --data "$work/keyed.jsonl" --out "$work/out-$which-$p.jsonl" \
        --parallelism "$p" 2> "$work/log-$which-$p-$r"
      line=$(grep 'keys,' "$work/log-$which-$p-$r")
      echo "run $r, $which, P=$p: $line"
      rate[$which-$p]+="$(sed -nE 's/.*\(([0-9]+) sequences\/s[;)].*/\1/p' <<<"$line") "
      # older builds print no second-half rate
      half[$which-$p]+="$(sed -nE 's/.*; ([0-9]+) sequences\/s over the second half.*/\1/p' <<<"$line") "
    done
  done
done
counts() { python3 -c 'import json,sys
for l in open(sys.argv[1]): d=json.loads(l); print(d["key"], d["sequencesTrained"])' "$1"; }
cmp -s <(counts "$work/out-jar-1.jsonl") <(counts "$work/out-jar-2.jsonl") \
  && echo "P=1 and P=2 wrote the same keys with the same counts"
for which in baseline jar; do
  [ -n "${jars[$which]:-}" ] || continue
  python3 - "$which" "${rate[$which-1]}" "${rate[$which-2]}" "${half[$which-1]:-}" "${half[$which-2]:-}" <<'PY'
import sys, statistics
def line(what, a, b):
    a = [float(x) for x in a.split()]; b = [float(x) for x in b.split()]
    if a and b:
        print("%s, median sequences/s %s: P=1 %.0f, P=2 %.0f, ratio %.2f"
              % (sys.argv[1], what, statistics.median(a), statistics.median(b), statistics.median(b) / statistics.median(a)))
line("first version to last", sys.argv[2], sys.argv[3])
line("over the second half", sys.argv[4], sys.argv[5])
PY
done

echo "== state per key: $keys keys, heap state, a checkpoint every second"
heap=$(job heap "" "  stateBackend: hashmap\n  checkpointDir: file://$work/heap-checkpoints")
replay_polling "$jar" "$work/heap" --job "$heap" --data "$work/keyed.jsonl" --out "$work/heap.jsonl" --parallelism 1 --checkpoint-ms 1000
[ -s "$work/heap.ckpt" ] || echo "no checkpoint completed during the run (input too small)"
[ -s "$work/heap.ckpt" ] && python3 - "$work/heap.ckpt" "$keys" <<'PY'
import sys, json
c = json.load(open(sys.argv[1])); k = int(sys.argv[2])
print("newest checkpoint %d: state %d bytes, %.0f bytes per key, %d ms" % (c["id"], c["state_size"], c["state_size"] / k, c["end_to_end_duration"]))
PY

echo "== RocksDB: $rockskeys keys x 8 sequences, batches of 4, a checkpoint every 2 s"
keyed $((rockskeys * 8)) "$rockskeys" "$work/rocks.jsonl"
rocks=$(job rocks "\n  batchSize: 4" "  stateBackend: rocksdb\n  incrementalCheckpoints: true\n  checkpointDir: file://$work/rocks-checkpoints")
sed -i '/^  batchSize: 16$/d' "$rocks"
replay_polling "$jar" "$work/rocks" --job "$rocks" --data "$work/rocks.jsonl" --out "$work/rocks.jsonl.out" --parallelism 2 --checkpoint-ms 2000
grep 'keys,' "$work/rocks" || true
[ -s "$work/rocks.ckpt" ] || echo "no checkpoint completed during the run (input too small)"
[ -s "$work/rocks.ckpt" ] && python3 - "$work/rocks.ckpt" "$rockskeys" <<'PY'
import sys, json
c = json.load(open(sys.argv[1])); k = int(sys.argv[2])
print("newest checkpoint %d: full state %d bytes (%.0f bytes per key), incremental %d bytes, %d ms end to end"
      % (c["id"], c["state_size"], c["state_size"] / k, c.get("checkpointed_size", 0), c["end_to_end_duration"]))
PY
