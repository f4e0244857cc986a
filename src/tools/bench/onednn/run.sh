#!/usr/bin/env bash
# Compiles OneDnnShapesBench against JavaCPP's oneDNN presets (VERSIONS, comma-separated, the first the baseline;
# default 2.5.2-1.5.7, visionzoo's; others' jars in ~/.m2, fetched with mvn dependency:get, see
# src/docs/PERFORMANCE.md) and Interleave, which times them all in one JVM; results on standard output. On the
# development VM a 3.x beside 2.5 in one JVM died of SIGFPE in oneDNN 3.x: time one version per run there.
# Usage: src/tools/bench/onednn/run.sh OUT [VERSIONS] [-- Interleave's options]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1; shift; versions=2.5.2-1.5.7
if [ $# -gt 0 ] && [ "$1" != "--" ]; then versions=$1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
m=${M2_REPO:-$HOME/.m2/repository}/org/bytedeco
classpath() { # VERSION -> jars: dnnl, javacpp and the OpenCL presets it names (1.5.14's pom names an unpublished one)
    local v=$1 j=${1#*-} cl
    case $j in 1.5.7) cl=3.0-1.5.7;; 1.5.14) cl=3.0-1.5.13;; *) cl=3.0-$j;; esac
    echo "$m/dnnl/$v/dnnl-$v.jar:$m/dnnl/$v/dnnl-$v-linux-x86_64.jar:$m/javacpp/$j/javacpp-$j.jar:$m/javacpp/$j/javacpp-$j-linux-x86_64.jar:$m/opencl/$cl/opencl-$cl.jar:$m/opencl/$cl/opencl-$cl-linux-x86_64.jar"
}
args=()
for v in ${versions//,/ }; do
    api=v3; [[ $v == 2.* ]] && api=v2
    mkdir -p "$out/classes-$v"
    javac -nowarn -d "$out/classes-$v" -cp "$(classpath "$v")" "$here"/common/io/github/visionzoo/bench/onednn/*.java \
        "$here"/$api/io/github/visionzoo/bench/onednn/*.java
    args+=("$v=$out/classes-$v:$(classpath "$v")")
done
mkdir -p "$out/driver"
javac -cp "" -sourcepath "" -d "$out/driver" "$here"/driver/io/github/visionzoo/bench/onednn/*.java
exec java -cp "$out/driver" io.github.visionzoo.bench.onednn.Interleave "${args[@]}" "$@"
