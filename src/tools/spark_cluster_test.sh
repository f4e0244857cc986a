#!/usr/bin/env bash
# A Spark standalone cluster on this machine, outside CI: a master and two workers (one core each) started as separate
# JVMs on 127.0.0.1 from the Maven-resolved Spark jars, spark-train submitted to it with shared gradients (the two
# executors exchange gradient updates over Aeron, UDP on the loopback), then the single-machine `train` with the same
# recipe, and a comparison: time per epoch, final accuracy, loopback bytes during each run.
#
#   mvn -B -DskipTests package          # builds examples/target/visionzoo-examples.jar and the job jar
#   src/tools/spark_cluster_test.sh [WORK_DIR]
#
# Spark comes from Maven (dependency:build-classpath of spark-core at the pom's spark.version), not a download.
# Environment: EPOCHS (default 5), TRAIN_PER_CLASS (40), MASTER_PORT (17077), TRAINING_MASTER (shared-gradients, or
# parameter-averaging). Java 17, Maven, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=${1:-$(mktemp -d -t visionzoo-spark-XXXXXX)}
WORK=$(cd "$(mkdir -p "$WORK" && echo "$WORK")" && pwd)
EPOCHS=${EPOCHS:-5}
TRAIN_PER_CLASS=${TRAIN_PER_CLASS:-40}
MASTER_PORT=${MASTER_PORT:-17077}
TRAINING_MASTER=${TRAINING_MASTER:-shared-gradients}
JOB_JAR=$ROOT/examples/target/visionzoo-examples-spark-job.jar
CLI_JAR=$ROOT/examples/target/visionzoo-examples.jar
for jar in "$JOB_JAR" "$CLI_JAR"; do
  [[ -f $jar ]] || { echo "missing $jar: run 'mvn -B -DskipTests package' first" >&2; exit 2; }
done

# Java 17 options for Spark and DL4J's gradient sharing (src/docs/SPARK.md): the driver and every executor
JAVA_OPTS_SPARK="--add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED \
--add-opens java.base/java.lang.invoke=ALL-UNNAMED --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
-Daeron.publication.unblock.timeout=60000000000"

echo "work directory: $WORK"
# Spark's jars as a Spark installation has them: spark-core at the project's Spark version, resolved by Maven on its
# own (in examples, Spark's dependencies are mediated with the application's), in a SPARK_HOME/jars from which the
# workers build their executors' class path
SPARK_VERSION=$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' pom.xml)
mkdir -p "$WORK/spark-pom"
cat >"$WORK/spark-pom/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>spark-installation</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_2.12</artifactId>
      <version>$SPARK_VERSION</version></dependency>
  </dependencies>
</project>
POM
mvn -B -q -ntp -f "$WORK/spark-pom/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/spark.classpath" \
    >/dev/null
SPARK_CP=$(cat "$WORK/spark.classpath")
export SPARK_HOME=$WORK/spark-home SPARK_SCALA_VERSION=2.12
rm -rf "$SPARK_HOME" && mkdir -p "$SPARK_HOME/jars"
tr ':' '\n' < "$WORK/spark.classpath" | while read -r jar; do ln -sf "$jar" "$SPARK_HOME/jars/"; done
echo "Spark: $(ls "$SPARK_HOME/jars" | grep -o 'spark-core_2.12-[0-9.]*' | head -1), $(ls "$SPARK_HOME/jars" | wc -l) jars"

rm -rf "$WORK"/worker[12]
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

java -Xmx512m -cp "$SPARK_CP" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$MASTER_PORT" \
    --webui-port $((MASTER_PORT + 1)) >"$WORK/master.log" 2>&1 &
PIDS+=($!)
for i in 1 2; do
  mkdir -p "$WORK/worker$i"
  # DL4J_VOID_IP: the address this worker's executor announces for gradient sharing
  DL4J_VOID_IP=127.0.0.1 java -Xmx512m -cp "$SPARK_CP" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
      --cores 1 --memory 3g --webui-port $((MASTER_PORT + 1 + i)) --work-dir "$WORK/worker$i" \
      "spark://127.0.0.1:$MASTER_PORT" >"$WORK/worker$i.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 60); do
  [[ $(grep -c "Registering worker" "$WORK/master.log" 2>/dev/null) -ge 2 ]] && break
  sleep 1
done
grep -q "Registering worker" "$WORK/master.log" || { echo "the workers did not register; see $WORK/*.log" >&2; exit 1; }
echo "master spark://127.0.0.1:$MASTER_PORT with $(grep -c 'Registering worker' "$WORK/master.log") workers (pids ${PIDS[*]})"

# the data, model and recipe both runs share
DATA=$WORK/data
[[ -d $DATA ]] || java -jar "$CLI_JAR" synth --to "$DATA" --train-per-class "$TRAIN_PER_CLASS" --val-per-class 10 \
    --size 64 >/dev/null
cat >"$WORK/tiny-resnet.json" <<'EOF'
{"family":"resnet","block":"basic","layers":[1,1],"width":16,"convBias":false,"imageSize":48}
EOF
cat >"$WORK/recipe.json" <<EOF
{"name":"cluster-test","description":"the cluster script's recipe","optimizer":"adamw","learningRate":0.003,
 "weightDecay":0.01,"batchSize":16,"epochs":$EPOCHS,"schedule":{"type":"cosine","warmupEpochs":0.5},
 "imageSize":48,"augmentation":"study","seed":42,"spark":{"master":"$TRAINING_MASTER","workers":2}}
EOF

# bytes through the loopback (sent; each is also counted as received) and UDP datagrams (Aeron's, here) received
lo_bytes() { awk '$1 == "lo:" {print $10}' /proc/net/dev; }
udp_in() { awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ {print $2}' /proc/net/snmp; }

rm -rf "$WORK/run-spark" "$WORK/run-local"
echo "== spark-submit: $TRAINING_MASTER between the two worker processes"
LO0=$(lo_bytes); U0=$(udp_in); T0=$(date +%s)
# shellcheck disable=SC2086
java $JAVA_OPTS_SPARK -Xmx2g -cp "$SPARK_CP" org.apache.spark.deploy.SparkSubmit \
    --master "spark://127.0.0.1:$MASTER_PORT" --deploy-mode client \
    --class io.github.visionzoo.examples.VisionZooCli \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 --conf spark.ui.enabled=false \
    --conf spark.executor.cores=1 --conf spark.cores.max=2 --conf spark.executor.memory=2g \
    --conf "spark.executor.extraJavaOptions=$JAVA_OPTS_SPARK" \
    "$JOB_JAR" spark-train --model "$WORK/tiny-resnet.json" --data "$DATA" --recipe "$WORK/recipe.json" \
    --run-dir "$WORK/run-spark" 2>"$WORK/spark-driver.log" | tee "$WORK/spark.out"
T1=$(date +%s); LO1=$(lo_bytes); U1=$(udp_in)
EXECUTORS=$(ls -d "$WORK"/worker*/app-*/* 2>/dev/null | wc -l)

echo "== single machine: train with the same recipe"
LO2=$(lo_bytes); U2=$(udp_in); T2=$(date +%s)
java -jar "$CLI_JAR" train --model "$WORK/tiny-resnet.json" --data "$DATA" --recipe "$WORK/recipe.json" \
    --run-dir "$WORK/run-local" --checkpoint-every 0 2>"$WORK/local.log" | tee "$WORK/local.out"
T3=$(date +%s); LO3=$(lo_bytes); U3=$(udp_in)

python3 - "$WORK" "$((T1 - T0))" "$((LO1 - LO0))" "$((T3 - T2))" "$((LO3 - LO2))" "$EXECUTORS" \
    "$((U1 - U0))" "$((U3 - U2))" "$(stat -c %s "$JOB_JAR")" <<'EOF'
import json, sys, pathlib
work = pathlib.Path(sys.argv[1])
def run(name):
    lines = [json.loads(l) for l in (work / name / "metrics.jsonl").read_text().splitlines() if l.strip()]
    return [l for l in lines if l["type"] == "epoch"], json.loads((work / name / "summary.json").read_text())
spark, spark_sum = run("run-spark")
local, local_sum = run("run-local")
print()
print("%-32s %14s %14s" % ("", "Spark, 2 workers", "single machine"))
print("%-32s %s" % ("Spark training master", spark_sum["recipe"]["spark"]["master"]))
for i, (s, l) in enumerate(zip(spark, local)):
    print("%-32s %8.1f s %13.1f s" % ("epoch %d training time" % (i + 1), s["seconds"], l["seconds"]))
    print("%-32s %10.4f %14.4f" % ("epoch %d train loss" % (i + 1), s["trainLoss"], l["trainLoss"]))
    print("%-32s %9.1f %% %13.1f %%" % ("epoch %d val top-1" % (i + 1), 100 * s["valTop1"], 100 * l["valTop1"]))
mean = lambda xs: sum(xs) / len(xs)
print("%-32s %8.1f s %13.1f s" % ("mean time per epoch", mean([e["seconds"] for e in spark]),
                                  mean([e["seconds"] for e in local])))
print("%-32s %9.1f %% %13.1f %%" % ("final val top-1", 100 * spark_sum["finalTop1"], 100 * local_sum["finalTop1"]))
print("%-32s %10d %14d" % ("optimizer steps", spark_sum["iterations"], local_sum["iterations"]))
print("%-32s %8s s %12s s" % ("wall time of the command", sys.argv[2], sys.argv[4]))
print("%-32s %8.1f MB %11.1f MB" % ("loopback bytes during the run", int(sys.argv[3]) / 1e6, int(sys.argv[5]) / 1e6))
print("%-32s %10s %14s" % ("UDP datagrams received", sys.argv[7], sys.argv[8]))
n = int(sys.argv[6])
print("executor processes launched: %d; of the loopback bytes, %.1f MB are the job jar fetched by each executor"
      % (n, n * int(sys.argv[9]) / 1e6))
later = spark[1:]
if later:
    print("%-32s %8.1f s %13.1f s" % ("mean time per epoch after the 1st", mean([e["seconds"] for e in later]),
                                      mean([e["seconds"] for e in local[1:]])))
EOF
echo "logs: $WORK/{master,worker1,worker2,spark-driver,local}.log, executors' in $WORK/worker*/app-*/*/stderr"
