# Shared settings of the local-cluster scripts; sourced, not run.
#
# Everything listens on 127.0.0.1 only. Override any of these in the environment:
#   UNROLL_RUN_DIR             state, logs, pids and configuration (default deploy/local/.run)
#   UNROLL_KAFKA_PORT          broker listener (default 19092; the embedded default broker uses 9092)
#   UNROLL_KAFKA_CONTROLLER_PORT  KRaft controller listener (default 19093)
#   UNROLL_FLINK_REST_PORT     JobManager REST API (default 18081)
#   UNROLL_FLINK_RPC_PORT      JobManager RPC (default 16123)
#   UNROLL_TASKMANAGERS        how many TaskManager JVMs (default 2)
#   UNROLL_TM_SLOTS            slots per TaskManager (default 1: parallelism 2 needs both TaskManagers)
#   UNROLL_JOB_JAR             the job jar to submit (default target/unroll-job.jar)
#   UNROLL_PROMETHEUS_PORTS    ports of Flink's Prometheus reporter, a Flink port range or list such as
#                              9249-9259 (default empty: off); each Flink process takes the first free one
#   UNROLL_BROKER_CPUS         pins the broker and the JobManager to these CPUs (a taskset list such as 0-1;
#                              default empty: not pinned)
#   UNROLL_TM_CPUS             pins TaskManager K to the K-th of these space-separated taskset lists, for
#                              example "2-3 4-5" (default empty: not pinned)
#   UNROLL_HA                  1: JobManager high availability, a ZooKeeper server for leader election and
#                              the recovery data (job graphs, checkpoint pointers) under RUN_DIR/flink/ha
#                              (default 0: none, a killed JobManager loses its jobs)
#   UNROLL_ZOOKEEPER_PORT      the ZooKeeper server's client port with UNROLL_HA=1 (default 12181)
#   JAVA_HOME                  the JDK to run (17 or later)

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LOCAL_DIR/../.." && pwd)
RUN_DIR=$(realpath -m "${UNROLL_RUN_DIR:-$LOCAL_DIR/.run}")
KAFKA_PORT=${UNROLL_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${UNROLL_KAFKA_CONTROLLER_PORT:-19093}
REST_PORT=${UNROLL_FLINK_REST_PORT:-18081}
RPC_PORT=${UNROLL_FLINK_RPC_PORT:-16123}
TASKMANAGERS=${UNROLL_TASKMANAGERS:-2}
TM_SLOTS=${UNROLL_TM_SLOTS:-1}
JOB_JAR=${UNROLL_JOB_JAR:-$REPO_DIR/target/unroll-job.jar}
PROMETHEUS_PORTS=${UNROLL_PROMETHEUS_PORTS:-}
BROKER_CPUS=${UNROLL_BROKER_CPUS:-}
TM_CPUS=${UNROLL_TM_CPUS:-}
HA=${UNROLL_HA:-0}
ZOOKEEPER_PORT=${UNROLL_ZOOKEEPER_PORT:-12181}
HOST=127.0.0.1
BOOTSTRAP=$HOST:$KAFKA_PORT
REST_URL=http://$HOST:$REST_PORT
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

# flink-dist's env.java.opts.all for Java 17: Flink and Kryo reach into these JDK internals
JAVA_MODULE_FLAGS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
)

# Every JVM started here carries this marker, so stop.sh only ever signals its own processes.
RUN_MARKER="-Dunroll.local.run=$RUN_DIR"

die() {
  echo "error: $*" >&2
  exit 1
}

# The classpath of a profile of deploy/local/pom.xml ("flink" or "kafka"), resolved by Maven once
# and cached under the run dir until the pom changes.
classpath() {
  local profile=$1 dir=$RUN_DIR/classpath
  local file=$dir/$profile.classpath stamp=$dir/$profile.pom.sha
  local sum
  sum=$(sha256sum "$LOCAL_DIR/pom.xml" | cut -d' ' -f1)
  if [[ ! -s $file || ! -f $stamp || $(cat "$stamp") != "$sum" ]]; then
    mkdir -p "$dir"
    command -v mvn >/dev/null || die "mvn not found: Maven resolves the cluster's classpath"
    mvn -q -B -f "$LOCAL_DIR/pom.xml" -P"$profile" dependency:build-classpath \
      -Dmdep.outputFile="$file.tmp" >"$dir/$profile.mvn.log" 2>&1 \
      || die "mvn could not resolve the $profile classpath; see $dir/$profile.mvn.log"
    mv "$file.tmp" "$file"
    echo "$sum" >"$stamp"
  fi
  cat "$file"
}

# The pid recorded for a process name, if that process is alive and one of ours.
live_pid() {
  local file=$RUN_DIR/pids/$1.pid pid
  [[ -f $file ]] || return 1
  pid=$(cat "$file")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$RUN_MARKER" || return 1
  echo "$pid"
}

# The CPUs (a taskset list) process NAME is pinned to, or nothing.
cpus_of() {
  local tms
  case $1 in
    kafka | jobmanager) echo "$BROKER_CPUS" ;;
    taskmanager-*)
      read -r -a tms <<<"$TM_CPUS"
      echo "${tms[$((${1#taskmanager-} - 1))]:-}"
      ;;
  esac
}

# Starts "$@" detached (own session, stdio to the log), recording its pid as NAME; pinned to the
# CPUs cpus_of gives, when it gives any (taskset execs the JVM, so the pid is the JVM's still).
launch() {
  local name=$1 cpus
  shift
  cpus=$(cpus_of "$name")
  if [[ -n $cpus ]]; then
    command -v taskset >/dev/null || die "taskset is needed to pin $name to CPUs $cpus (apt-get install -y util-linux)"
    set -- taskset -c "$cpus" "$@"
  fi
  mkdir -p "$RUN_DIR/pids" "$RUN_DIR/logs"
  # a process started again must not be taken for the one that died: wait for the new pid
  rm -f "$RUN_DIR/pids/$name.pid"
  # the inner shell writes its own pid and execs, so the recorded pid is the JVM's
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN_DIR/pids/$name.pid" "$@" \
    </dev/null >"$RUN_DIR/logs/$name.out" 2>&1 &
  local k
  for k in $(seq 50); do
    [[ -s $RUN_DIR/pids/$name.pid ]] && return 0
    sleep 0.1
  done
  die "$name did not start"
}

# BashJavaUtils turns the memory settings into JVM flags (line 1) and -D settings (line 2),
# as flink-dist's jobmanager.sh and taskmanager.sh do.
resource_params() {
  local out
  out=$("$JAVA" "${JAVA_MODULE_FLAGS[@]}" -cp "$FLINK_CP" -Dlog4j2.configurationFile="$RUN_DIR/conf/log4j-cli.properties" \
    org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$RUN_DIR/conf" 2>&1) \
    || die "BashJavaUtils $1 failed: $out"
  grep -A2 '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | tail -n 2 | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

flink_jvm() { # NAME JVM-FLAGS: the command line of a Flink process, into the array "cmd"
  local flags
  read -r -a flags <<<"$2"
  cmd=("$JAVA" "$RUN_MARKER" "${JAVA_MODULE_FLAGS[@]}" "${flags[@]}" -Dlog.file="$RUN_DIR/logs/$1.log"
    -Dlog4j.configurationFile="$RUN_DIR/conf/log4j.properties" -cp "$FLINK_CP")
}

# Starts the broker on its formatted storage (start.sh formats it once; a restart keeps its data).
start_kafka() {
  KAFKA_CP=${KAFKA_CP:-$(classpath kafka)}
  launch kafka "$JAVA" "$RUN_MARKER" -Xms256m -Xmx512m -Djava.net.preferIPv4Stack=true \
    -Dlog4j2.configurationFile="$RUN_DIR/conf/log4j-kafka.properties" -cp "$KAFKA_CP" \
    kafka.Kafka "$RUN_DIR/kafka/server.properties"
}

# Starts the JobManager with the cluster's configuration; with UNROLL_HA=1 it recovers the jobs
# a killed one ran (their graphs and newest checkpoints) from ZooKeeper and RUN_DIR/flink/ha.
start_jobmanager() {
  local jm jm_settings
  FLINK_CP=${FLINK_CP:-$(classpath flink)}
  mapfile -t jm < <(resource_params GET_JM_RESOURCE_PARAMS)
  [[ ${#jm[@]} -eq 2 ]] || die "unexpected BashJavaUtils output for the JobManager: ${jm[*]}"
  read -r -a jm_settings <<<"${jm[1]}"
  flink_jvm jobmanager "${jm[0]}"
  launch jobmanager "${cmd[@]}" org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
    --configDir "$RUN_DIR/conf" "${jm_settings[@]}"
}

# Starts the single ZooKeeper server of UNROLL_HA=1 (Flink's own launcher of its shaded ZooKeeper).
start_zookeeper() {
  FLINK_CP=${FLINK_CP:-$(classpath flink)}
  flink_jvm zookeeper "-Xmx128m"
  launch zookeeper "${cmd[@]}" org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer \
    --zkConfigFile "$RUN_DIR/conf/zoo.cfg" --peerId 1
}

# Waits until PORT on HOST accepts connections; NAME's death or TIMEOUT seconds end the wait with an error.
await_port() {
  local name=$1 port=$2 deadline=$(($(date +%s) + $3))
  until (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; do
    live_pid "$name" >/dev/null || die "$name exited during start-up; see $RUN_DIR/logs/$name.out and $name.log"
    (($(date +%s) < deadline)) || die "$name did not open $HOST:$port; see $RUN_DIR/logs/$name.log"
    sleep 0.2
  done
}

# The processes of this cluster, in the order stop.sh stops them.
process_names() {
  local file
  for file in "$RUN_DIR"/pids/taskmanager-*.pid; do
    [[ -e $file ]] && basename "$file" .pid
  done
  echo jobmanager
  echo kafka
  [[ ! -e $RUN_DIR/pids/zookeeper.pid ]] || echo zookeeper
}

# Starts TaskManager K (resource id taskmanager-K) with the cluster's configuration.
start_taskmanager() {
  local k=$1 tm tm_settings
  FLINK_CP=${FLINK_CP:-$(classpath flink)}
  mapfile -t tm < <(resource_params GET_TM_RESOURCE_PARAMS)
  [[ ${#tm[@]} -eq 2 ]] || die "unexpected BashJavaUtils output for the TaskManagers: ${tm[*]}"
  read -r -a tm_settings <<<"${tm[1]}"
  flink_jvm "taskmanager-$k" "${tm[0]}"
  launch "taskmanager-$k" "${cmd[@]}" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
    --configDir "$RUN_DIR/conf" "${tm_settings[@]}" -D "taskmanager.resource-id=taskmanager-$k"
}

rest_get() {
  curl -fsS --max-time 5 "$REST_URL$1"
}

require_cluster() {
  [[ -f $RUN_DIR/cluster.env ]] && live_pid jobmanager >/dev/null && live_pid kafka >/dev/null \
    || die "no local cluster is running (state in $RUN_DIR); start one with deploy/local/start.sh"
}
