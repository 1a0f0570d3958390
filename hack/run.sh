#!/usr/bin/env bash
# `make run`: gather from the cluster of the current kubeconfig when there is
# one (the gather binary, on this host); otherwise from the local test
# cluster (started here with its node, and stopped again unless
# KEEP_CLUSTER=1), through the client kubectl-must_gather running our image
# in a pod there. The result goes to ./must-gather.local.<timestamp>/ (or
# $DEST_DIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

dest=${DEST_DIR:-$root/must-gather.local.$(date -u +%Y%m%d-%H%M%S)}
args=(--dest-dir "$dest")
started=0
cleanup() {
  if [ "$started" = 1 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then
    hack/cluster.sh down
  fi
}
trap cleanup EXIT

if [ -n "${KUBECONFIG:-}" ] || [ -f "$HOME/.kube/config" ]; then
  echo "gathering from the cluster of the current kubeconfig (${KUBECONFIG:-$HOME/.kube/config})" >&2
else
  kc=${TESTCLUSTER_DIR:-$root/_output/cluster}/kubeconfig
  harness=$(hack/cluster.sh build)
  if hack/cluster.sh status >/dev/null 2>&1; then
    echo "no kubeconfig: gathering from the running local test cluster" >&2
  else
    echo "no kubeconfig: starting the local test cluster (KEEP_CLUSTER=1 keeps it running afterwards)" >&2
    started=1
    hack/cluster.sh up --node
  fi
  args+=(--kubeconfig "$kc")
  # The local cluster runs the must-gather the way a user's would: the
  # client runs our image in a pod. The cluster pulls nothing, so its node
  # gets an image of this very build, and the client is built to know that
  # image as its own (its default image).
  if hack/cluster.sh status 2>/dev/null | grep -q kubelet; then
    image=localhost/mgtk/gather:run
    make -s build BIN=_output/run/bin IMAGE="$image"
    "$harness" image-archive --binary _output/run/bin/gather --entry usr/bin/gather --tag "$image" --output _output/gather-run-image.tar
    hack/cluster.sh load-image _output/gather-run-image.tar
    echo "running kubectl-must_gather with $image on the local test cluster" >&2
    rc=0
    _output/run/bin/kubectl-must_gather --dest-dir "$dest" --kubeconfig "$kc" || rc=$?
    cleanup
    started=0
    echo "must-gather result: $dest (kubectl-must_gather exit code $rc)" >&2
    exit $rc
  fi
fi

rc=0
_output/bin/gather "${args[@]}" || rc=$?
cleanup
started=0
echo "must-gather result: $dest (gather exit code $rc)" >&2
exit $rc
