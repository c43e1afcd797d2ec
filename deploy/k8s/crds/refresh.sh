#!/usr/bin/env bash
# Writes the CRDs of the operators the manifests are written for into deploy/k8s/crds/<operator>-<version>/,
# from what each project publishes to a package registry (README.md beside this file says which,
# and why not the release manifests). The versions are deploy/k8s/generate.py's OPERATORS: change
# them there, run `make crds`, then `make manifests` and `make test`, and commit all of it.
#
# Needs Maven and Java 21 or newer (Strimzi's generator), Go (controller-gen) and Cargo.
set -euo pipefail
cd "$(dirname "$0")"
CRDS=$PWD
ROOT=$(cd ../../.. && pwd)
PYTHON=$ROOT/.venv/bin/python
[ -x "$PYTHON" ] || PYTHON=python3
WORK=$ROOT/.cache/crds
mkdir -p "$WORK"
# controller-gen's version decides the generated YAML's shape, so it is pinned too.
CONTROLLER_GEN=v0.23.0

version() { "$PYTHON" -c "import sys; sys.path.insert(0, '$ROOT/deploy/k8s'); import generate; print(generate.OPERATORS['$1'])"; }
STRIMZI=$(version strimzi)
CNPG=$(version cloudnative-pg)
PROMETHEUS_OPERATOR=$(version prometheus-operator)

fresh() {  # an empty folder for one operator's CRDs, the old version's gone
  rm -rf "$CRDS/$1"-*/
  mkdir -p "$CRDS/$1-$2"
  echo "$CRDS/$1-$2"
}

header() {  # provenance, on top of a generated file
  local file=$1 text=$2
  { echo "# $text"; echo "# Written by deploy/k8s/crds/refresh.sh; do not edit."; cat "$file"; } > "$file.tmp" && mv "$file.tmp" "$file"
}

# -- Strimzi: its CRD generator over its API classes, with the arguments of Strimzi's own build
#    (api/pom.xml, execution generate-crd-co-install-v1), for the kinds the manifests use.
java21() {
  for java in "${JAVA:-java}" /usr/lib/jvm/*/bin/java; do
    command -v "$java" >/dev/null || continue
    major=$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
    [ "${major:-0}" -ge 21 ] && { echo "$java"; return; }
  done
  echo "Strimzi's CRD generator needs Java 21 or newer (set JAVA=/path/to/java)" >&2; exit 1
}
JAVA_BIN=$(java21)
rm -rf "$WORK/strimzi-jars"
mvn -B -q -f build/strimzi/pom.xml -Dstrimzi.version="$STRIMZI" dependency:copy-dependencies -DoutputDirectory="$WORK/strimzi-jars"
out=$(fresh strimzi "$STRIMZI")
model=io.strimzi.api.kafka.model
"$JAVA_BIN" -cp "$WORK/strimzi-jars/*" io.strimzi.crdgenerator.CrdGenerator \
  --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
  --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
  "$model.kafka.Kafka=$out/040-Crd-kafka.yaml" \
  "$model.topic.KafkaTopic=$out/043-Crd-kafkatopic.yaml" \
  "$model.user.KafkaUser=$out/044-Crd-kafkauser.yaml" \
  "$model.nodepool.KafkaNodePool=$out/045-Crd-kafkanodepool.yaml"
for f in "$out"/*.yaml; do header "$f" "Strimzi $STRIMZI: io.strimzi:api:$STRIMZI through io.strimzi:crd-generator:$STRIMZI (Maven Central)"; done

# -- prometheus-operator: controller-gen over its API module, as its Makefile's generate-crds does.
module=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring
src=$(cd "$WORK" && GOFLAGS=-mod=mod go mod download -json "$module@v$PROMETHEUS_OPERATOR" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
rm -rf "$WORK/monitoring" && cp -r "$src" "$WORK/monitoring" && chmod -R u+w "$WORK/monitoring"
GOBIN=$WORK/bin go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN"
rm -rf "$WORK/monitoring-crds"
(cd "$WORK/monitoring" && go mod download && "$WORK/bin/controller-gen" crd:crdVersions=v1 paths=./v1/. output:crd:dir="$WORK/monitoring-crds")
out=$(fresh prometheus-operator "$PROMETHEUS_OPERATOR")
for kind in servicemonitors prometheusrules; do
  cp "$WORK/monitoring-crds/monitoring.coreos.com_$kind.yaml" "$out/"
  header "$out/monitoring.coreos.com_$kind.yaml" "prometheus-operator v$PROMETHEUS_OPERATOR: $module@v$PROMETHEUS_OPERATOR through controller-gen $CONTROLLER_GEN"
done

# -- CloudNativePG: the Cluster CRD from the crate of the same version (see README.md: its
#    schema is derived from the crate's types, which are generated from CloudNativePG's CRDs).
grep -q "k8s-crds-cloud-native-pg = { version = \"=$CNPG\"" build/cloudnative-pg/Cargo.toml \
  || { echo "build/cloudnative-pg/Cargo.toml does not pin k8s-crds-cloud-native-pg $CNPG: set it there" >&2; exit 1; }
out=$(fresh cloudnative-pg "$CNPG")
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$WORK/cargo} cargo run --quiet --manifest-path build/cloudnative-pg/Cargo.toml \
  | "$PYTHON" -c 'import json, sys, yaml; yaml.safe_dump(json.load(sys.stdin), sys.stdout, sort_keys=False, allow_unicode=True, width=120)' \
  > "$out/postgresql.cnpg.io_clusters.yaml"
header "$out/postgresql.cnpg.io_clusters.yaml" "CloudNativePG $CNPG: the crate k8s-crds-cloud-native-pg $CNPG (crates.io), Cluster::crd()"

echo "CRDs written: strimzi-$STRIMZI, prometheus-operator-$PROMETHEUS_OPERATOR, cloudnative-pg-$CNPG"
