#!/usr/bin/env bash
# Runs every test of every Go module of the repository against ONE real test
# cluster: the one named by TEST_KUBECONFIG, the one `make cluster-up`
# started, or one started here (with its node) and stopped at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CGO_ENABLED=0

started=0
# On an interrupted or failed run, still stop what we started.
stop_cluster() {
  if [ "$started" = 1 ]; then
    hack/cluster.sh down || true
  fi
}

# The cluster is started, checked and stopped with the commands of
# docs/test-cluster.md as they are written (fetched from it by
# test/docs/cmd/doccmd: a change to the docs changes what runs here).
documented() { go run ./test/docs/cmd/doccmd "$1" "$2"; }
run_documented() {
  local cmd
  cmd=$(documented "$1" "$2") || return
  echo "== $1: $cmd"
  bash -c "$cmd"
}

# Build (or find cached) the harness first, in the open: a cold build takes
# minutes.
export TEST_CLUSTER_BIN
TEST_CLUSTER_BIN=$(hack/cluster.sh build)

if [ -z "${TEST_KUBECONFIG:-}" ]; then
  status=$(documented docs/test-cluster.md 'make cluster-status')
  if bash -c "$status" >/dev/null 2>&1; then
    echo "== using the running test cluster"
  else
    echo "== starting the test cluster (control plane and node)"
    trap stop_cluster EXIT
    started=1
    start=$SECONDS
    run_documented docs/test-cluster.md 'make cluster-up CLUSTER_NODE=1'
    echo "== test cluster started in $((SECONDS - start))s"
    run_documented docs/test-cluster.md 'make cluster-status'
  fi
  export TEST_KUBECONFIG=${TESTCLUSTER_DIR:-$root/_output/cluster}/kubeconfig
fi
rc=0
failed=()
for mod in $(find . -name go.mod -not -path './_output/*' | sort); do
  dir=$(dirname "$mod")
  echo "== go test $dir"
  # -vet=off: make verify vets every module already; go test would vet every
  # dependency again with other settings (minutes for Kubernetes, cold).
  # -timeout: a package's tests share one limit; the e2e package and a cold
  # cross-compiling test/release take longer than go test's default 10m.
  if ! (cd "$dir" && go test -vet=off -count=1 -timeout 45m "$@" ./...); then
    failed+=("$dir")
  fi
done
echo "== image: build twice (same ID), offline podman run against the cluster"
if ! hack/image-test.sh; then
  failed+=("image")
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  rc=1
else
  echo "all modules and the image test passed"
fi
if [ "$started" = 1 ]; then
  started=0
  echo "== stopping the test cluster and checking that nothing is left behind"
  run_documented docs/test-cluster.md 'make cluster-down' || rc=1
  hack/cluster.sh status --check-clean || rc=1
  # The control plane alone, as docs/test-cluster.md starts it (about 20 s):
  # up, status (no kubelet), down, and again nothing left behind.
  echo "== the control plane alone: make cluster-up, make cluster-status, make cluster-down"
  started=1
  if run_documented docs/test-cluster.md 'make cluster-up' &&
    out=$(run_documented docs/test-cluster.md 'make cluster-status') &&
    echo "$out" && grep -q controlplane <<<"$out" && ! grep -q kubelet <<<"$out"; then
    :
  else
    echo "FAILED: the control plane alone (make cluster-up, then make cluster-status)"
    rc=1
  fi
  started=0
  run_documented docs/test-cluster.md 'make cluster-down' || rc=1
  hack/cluster.sh status --check-clean || rc=1
fi
exit $rc
