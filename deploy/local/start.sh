#!/usr/bin/env bash
# Starts a real multi-process cluster on 127.0.0.1, each part its own JVM:
#   a Kafka broker (single-node KRaft, kafka.Kafka),
#   a Flink JobManager (StandaloneSessionClusterEntrypoint),
#   UNROLL_TASKMANAGERS (default 2) Flink TaskManagers (TaskManagerRunner) and,
#   with UNROLL_HA=1, a ZooKeeper server for the JobManager's high availability.
# Classpaths come from Maven (deploy/local/pom.xml); no flink-dist or Kafka tarball is needed.
# Each start is a fresh cluster: the run dir's old state and logs are removed (its classpath cache stays).
# Waits until the broker answers and every TaskManager has registered, then prints the addresses.
# Ports and the run dir: see env.sh.
set -euo pipefail
. "$(dirname "$0")/env.sh"

for name in kafka jobmanager zookeeper $(seq -f 'taskmanager-%g' 1 "$TASKMANAGERS"); do
  if pid=$(live_pid "$name"); then
    die "$name is already running (pid $pid); stop the cluster first with deploy/local/stop.sh"
  fi
done
ports=("$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$REST_PORT" "$RPC_PORT")
[[ $HA != 1 ]] || ports+=("$ZOOKEEPER_PORT")
for port in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
    die "port $port on $HOST is taken; choose others (UNROLL_KAFKA_PORT, UNROLL_FLINK_REST_PORT, ...)"
  fi
done
"$JAVA" -version >/dev/null 2>&1 || die "no java at '$JAVA' (set JAVA_HOME to a JDK 17)"
command -v curl >/dev/null || die "curl is needed to talk to Flink's REST API (apt-get install -y curl)"

started=$(date +%s)
rm -rf "$RUN_DIR/conf" "$RUN_DIR/kafka" "$RUN_DIR/flink" "$RUN_DIR/zookeeper" "$RUN_DIR/logs" "$RUN_DIR/pids" \
  "$RUN_DIR/jobs" "$RUN_DIR/cluster.env"
mkdir -p "$RUN_DIR/conf" "$RUN_DIR/kafka/data" "$RUN_DIR/flink"/{checkpoints,savepoints,tmp,plugins} \
  "$RUN_DIR/logs" "$RUN_DIR/pids" "$RUN_DIR/jobs"

echo "resolving classpaths with Maven (cached in $RUN_DIR/classpath) ..."
classpath flink >/dev/null &
flink_resolved=$!
classpath kafka >/dev/null &
kafka_resolved=$!
wait "$flink_resolved" && wait "$kafka_resolved" || die "resolving the classpaths failed"
FLINK_CP=$(classpath flink)
KAFKA_CP=$(classpath kafka)

# ---- Kafka: format the storage, then run the broker ----
cat >"$RUN_DIR/kafka/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$RUN_DIR/kafka/data
# topics a client creates implicitly get the job's default partition count
num.partitions=2
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
# parameter records of large networks: as the embedded broker (EmbeddedKafka.MAX_MESSAGE_BYTES)
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
EOF
cat >"$RUN_DIR/conf/log4j-kafka.properties" <<EOF
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = $RUN_DIR/logs/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
EOF
# a random cluster id as Kafka writes them; one that starts with "-" would read as an option (as Kafka's own avoid)
cluster_id=-
until [[ $cluster_id != -* ]]; do
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
done
"$JAVA" -Dlog4j2.configurationFile="$RUN_DIR/conf/log4j-kafka.properties" -cp "$KAFKA_CP" \
  kafka.tools.StorageTool format -t "$cluster_id" -c "$RUN_DIR/kafka/server.properties" \
  >"$RUN_DIR/logs/kafka-format.out" 2>&1 || die "formatting Kafka storage failed: $RUN_DIR/logs/kafka-format.out"
start_kafka

# ---- Flink: one configuration for the JobManager, the TaskManagers and the client ----
cat >"$RUN_DIR/conf/config.yaml" <<EOF
# Written by deploy/local/start.sh; Flink 2.x reads flat keys from config.yaml.
jobmanager.rpc.address: $HOST
jobmanager.rpc.port: $RPC_PORT
jobmanager.bind-host: $HOST
jobmanager.memory.process.size: 1024m
taskmanager.host: $HOST
taskmanager.bind-host: $HOST
taskmanager.numberOfTaskSlots: $TM_SLOTS
taskmanager.memory.process.size: 1280m
taskmanager.memory.managed.size: 64m
taskmanager.memory.network.min: 64m
taskmanager.memory.network.max: 64m
rest.address: $HOST
rest.bind-address: $HOST
rest.port: $REST_PORT
parallelism.default: 1
execution.checkpointing.dir: file://$RUN_DIR/flink/checkpoints
execution.checkpointing.savepoint-dir: file://$RUN_DIR/flink/savepoints
io.tmp.dirs: $RUN_DIR/flink/tmp
web.tmpdir: $RUN_DIR/flink/tmp
# as a production cluster: a job whose TaskManager is lost keeps trying, with backoff, until slots are
# back (a TaskManager restarted with taskmanager.sh, or spare ones), and resumes from its last checkpoint
restart-strategy.type: exponential-delay
restart-strategy.exponential-delay.initial-backoff: 1 s
restart-strategy.exponential-delay.max-backoff: 10 s
restart-strategy.exponential-delay.attempts-before-reset-backoff: 2147483647
# checkpoints survive the job's cancellation and failure (resume with submit.sh --from-savepoint DIR/chk-N)
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
execution.checkpointing.num-retained: 2
# one machine: a dead TaskManager is noticed in seconds, not Flink's default 50 s
heartbeat.interval: 1000
heartbeat.timeout: 8000
env.java.opts.all: ${JAVA_MODULE_FLAGS[*]}
EOF
if [[ $HA == 1 ]]; then
  # one JobManager that a supervisor (or jobmanager.sh) starts again: ZooKeeper holds the leader's address
  # and pointers to the job graphs and newest checkpoints, which lie on the file system under flink/ha.
  # A killed leader's ZooKeeper session ends after the session timeout; only then can the next one lead.
  mkdir -p "$RUN_DIR/zookeeper" "$RUN_DIR/flink/ha"
  cat >"$RUN_DIR/conf/zoo.cfg" <<EOF
dataDir=$RUN_DIR/zookeeper
clientPort=$ZOOKEEPER_PORT
clientPortAddress=$HOST
tickTime=1000
maxClientCnxns=0
admin.enableServer=false
EOF
  cat >>"$RUN_DIR/conf/config.yaml" <<EOF
high-availability.type: zookeeper
high-availability.zookeeper.quorum: $HOST:$ZOOKEEPER_PORT
high-availability.storageDir: file://$RUN_DIR/flink/ha
high-availability.cluster-id: /unroll-local
high-availability.zookeeper.client.session-timeout: 6000
high-availability.zookeeper.client.connection-timeout: 5000
high-availability.jobmanager.port: $RPC_PORT
# no Kerberos here: without this every ZooKeeper client warns that it found no JAAS section
zookeeper.sasl.disable: true
EOF
fi
if [[ -n $PROMETHEUS_PORTS ]]; then
  # a reporter is a cluster setting (the job key metrics.prometheusPort is the embedded default's):
  # every Flink process serves its own metrics, the job's operators on the TaskManagers
  cat >>"$RUN_DIR/conf/config.yaml" <<EOF
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
metrics.reporter.prom.port: $PROMETHEUS_PORTS
EOF
fi
cat >"$RUN_DIR/conf/log4j.properties" <<'EOF'
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:log.file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
EOF
cat >"$RUN_DIR/conf/log4j-cli.properties" <<'EOF'
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} - %m%n
logger.kafka.name = org.apache.kafka
logger.kafka.level = ERROR
EOF
export FLINK_CONF_DIR=$RUN_DIR/conf FLINK_PLUGINS_DIR=$RUN_DIR/flink/plugins

if [[ $HA == 1 ]]; then
  start_zookeeper
  await_port zookeeper "$ZOOKEEPER_PORT" "${UNROLL_START_TIMEOUT:-120}"
fi
start_jobmanager

for k in $(seq 1 "$TASKMANAGERS"); do
  start_taskmanager "$k"
done

# ---- wait: the broker's port, the REST API, every TaskManager registered ----
deadline=$(($(date +%s) + ${UNROLL_START_TIMEOUT:-120}))
check_alive() {
  local name
  for name in $(process_names); do
    live_pid "$name" >/dev/null || die "$name exited during start-up; see $RUN_DIR/logs/$name.out and $name.log"
  done
}
until (exec 3<>"/dev/tcp/$HOST/$KAFKA_PORT") 2>/dev/null; do
  check_alive
  (($(date +%s) < deadline)) || die "the Kafka broker did not open $HOST:$KAFKA_PORT; see $RUN_DIR/logs/kafka.log"
  sleep 0.5
done
registered=0
until ((registered >= TASKMANAGERS)); do
  check_alive
  (($(date +%s) < deadline)) || die "$registered of $TASKMANAGERS TaskManagers registered; see $RUN_DIR/logs"
  sleep 0.5
  registered=$(rest_get /overview 2>/dev/null | grep -o '"taskmanagers":[0-9]*' | cut -d: -f2 || true)
  registered=${registered:-0}
done

cat >"$RUN_DIR/cluster.env" <<EOF
BOOTSTRAP=$BOOTSTRAP
REST_URL=$REST_URL
TASKMANAGERS=$TASKMANAGERS
TM_SLOTS=$TM_SLOTS
BROKER_CPUS='$BROKER_CPUS'
TM_CPUS='$TM_CPUS'
HA=$HA
EOF
echo "started in $(($(date +%s) - started)) s (run dir $RUN_DIR)"
echo "kafka bootstrap: $BOOTSTRAP"
echo "flink rest:      $REST_URL (the web dashboard too)"
if [[ -n $PROMETHEUS_PORTS ]]; then
  echo "prometheus:      http://$HOST:PORT/metrics, PORT one of $PROMETHEUS_PORTS per Flink process (all interfaces)"
fi
echo "taskmanagers:    $registered x $TM_SLOTS slot(s)"
[[ $HA != 1 ]] || echo "high availability: ZooKeeper at $HOST:$ZOOKEEPER_PORT, recovery data in $RUN_DIR/flink/ha"
for name in $(process_names); do
  cpus=$(cpus_of "$name")
  echo "  $name pid $(live_pid "$name"), log $RUN_DIR/logs/$name.log${cpus:+, pinned to CPUs $cpus}"
done
