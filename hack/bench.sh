#!/usr/bin/env bash
# `make bench PROFILE=small|large|scale`: on the running local test cluster
# (with its node), load the profile's workload (test/bench/loader), measure
# every tool 3 times on it (test/bench/runner), print the table, write
# _output/bench/results.json and the profile's section of BENCHMARKS.md, and
# remove the workload again. See BENCHMARKS.md.
#
# Environment:
#   PROFILE            small (default), large, scale
#   RUNS               runs of each tool (3)
#   BENCH_TOOLS        tools to measure (default: all; see test/bench/runner)
#   BENCH_LOADER_ARGS  extra loader flags, e.g. "--namespaces 3" for a tiny try
#   KUBECTL            the kubectl of cluster-info dump (default: the harness's, of the
#                      server's version, named in cluster.json; else kubectl on PATH)
#   KEEP_LOAD=1        leave the workload in the cluster afterwards
#   BENCH_MD           the file whose section is updated (BENCHMARKS.md; "" for none)
#   TESTCLUSTER_DIR    the test cluster's state (default _output/cluster)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

profile=${PROFILE:-small}
out=$root/_output/bench
bin=$out/bin
cluster_dir=${TESTCLUSTER_DIR:-$root/_output/cluster}
kc=$cluster_dir/kubeconfig
image=localhost/mgtk/gather:bench
logimage=localhost/mgtk/bench-logwriter:v1
bench_md=${BENCH_MD-$root/BENCHMARKS.md}
export CGO_ENABLED=0

say() { echo "bench: $*" >&2; }

if ! hack/cluster.sh status 2>/dev/null | grep -q kubelet; then
  say "no local test cluster with a node runs: start one with 'make cluster-up CLUSTER_NODE=1' first"
  exit 1
fi
mkdir -p "$out" "$bin"

say "building the tools and images"
# The binaries carry the bench image as their own, so the client and the
# node collectors' debug pods run this very build.
make -s build BIN="$bin" IMAGE="$image"
go build -trimpath -o "$bin/" ./test/bench/floor ./test/bench/loader ./test/bench/runner ./test/bench/logwriter
harness=$(hack/cluster.sh build)
"$harness" image-archive --binary "$bin/gather" --entry usr/bin/gather --tag "$image" --output "$out/gather-image.tar"
"$harness" image-archive --binary "$bin/logwriter" --entry usr/bin/logwriter --tag "$logimage" --output "$out/logwriter-image.tar"
hack/cluster.sh load-image "$out/gather-image.tar"
hack/cluster.sh load-image "$out/logwriter-image.tar"

say "compression benchmark (pkg/output)"
go test -run '^$' -bench BenchmarkAuditCompression -count 3 ./pkg/output | tee "$out/compression.txt" >&2

loader=("$bin/loader" --kubeconfig "$kc" --cluster-dir "$cluster_dir" --profile "$profile" --log-image "$logimage")
# shellcheck disable=SC2206 # word splitting of the extra flags is wanted
loader+=(${BENCH_LOADER_ARGS:-})

kwok_pid=
cleanup() {
  local rc=$?
  if [ "${KEEP_LOAD:-0}" != 1 ]; then
    say "removing the workload"
    "$bin/loader" --kubeconfig "$kc" --delete || rc=1
  fi
  if [ -n "$kwok_pid" ]; then
    kill "$kwok_pid" 2>/dev/null || true
    wait "$kwok_pid" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT

# Simulated nodes: a kwok controller keeps them Ready and their pods
# Running. The loader checks the host's route of the sink range before it
# prints kwok's arguments (nothing without simulated nodes), and again
# before it creates a node.
kwok_args=$("${loader[@]}" --kwok-args)
if [ -n "$kwok_args" ]; then
  say "building kwok (sigs.k8s.io/kwok v0.8.0) and starting it: kwok $kwok_args"
  GOBIN=$bin go install sigs.k8s.io/kwok/cmd/kwok@v0.8.0
  # The kwok binary has no stages of its own (kwokctl brings them): take
  # kwok's "fast" node and pod stages and the lease heartbeat from its module.
  stages=$(go env GOMODCACHE)/sigs.k8s.io/kwok@v0.8.0/kustomize/stage
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"
    cat "$stages/$f"
  done >"$out/kwok-stages.yaml"
  # shellcheck disable=SC2086 # the loader's arguments, split on spaces
  "$bin/kwok" --kubeconfig "$kc" --config "$out/kwok-stages.yaml" --node-lease-duration-seconds 40 \
    $kwok_args >"$out/kwok.log" 2>&1 &
  kwok_pid=$!
fi

say "loading profile $profile ${BENCH_LOADER_ARGS:-}"
"${loader[@]}" >"$out/loaded.json"

say "measuring (the table follows; tools' logs in $out/logs)"
"$bin/runner" --kubeconfig "$kc" --loaded "$out/loaded.json" --out "$out" --bin "$bin" \
  --image "$image" --cluster-dir "$cluster_dir" ${KUBECTL:+--kubectl "$KUBECTL"} --compression "$out/compression.txt" \
  --runs "${RUNS:-3}" ${BENCH_TOOLS:+--tools "$BENCH_TOOLS"} ${bench_md:+--benchmarks-md "$bench_md"}
