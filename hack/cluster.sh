#!/usr/bin/env bash
# Builds the test cluster harness (test/cluster, its own Go module) once per
# content, caches the binaries, and runs it:
#   hack/cluster.sh build                  print the path of the cached binary
#   hack/cluster.sh up [--node]            start the cluster (CLUSTER_NODE=1 = --node)
#   hack/cluster.sh down                   stop it, leave nothing behind
#   hack/cluster.sh status [--check-clean]
#   hack/cluster.sh load-image ARCHIVE
#   hack/cluster.sh stop-kubelet           the node goes NotReady (its pods keep running)
#   hack/cluster.sh start-kubelet          Ready again
# While a build runs, a line every $TESTCLUSTER_PROGRESS_SECONDS (30) says how far it is.
# State lives in $TESTCLUSTER_DIR (default _output/cluster); the kubeconfig
# is $TESTCLUSTER_DIR/kubeconfig.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export TESTCLUSTER_DIR=${TESTCLUSTER_DIR:-$root/_output/cluster}
# The same CGO setting for every build of the harness: switching it rebuilds
# all of Kubernetes.
export CGO_ENABLED=0

k8s=v1.37.2
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=37"
done

cache_root=${TESTCLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/must-gather-toolkit/testcluster}
# Keyed by everything that decides the binaries: module files, sources,
# flags and the Go version.
key=$(cd "$root/test/cluster" && {
  cat go.mod go.sum
  # its sources, and the one package of the product module it imports
  find . ../clusterinfo -name '*.go' -print0 | sort -z | xargs -0 cat
  echo "$ldflags $CGO_ENABLED"
  go version
} | sha256sum | cut -c1-16)
bin=$cache_root/$key

build() {
  if [ -x "$bin/testcluster" ] && [ -x "$bin/testimage" ] && [ -x "$bin/kubectl" ]; then
    return
  fi
  # One build at a time (tests in parallel packages may ask together): a
  # second one waits, then finds the first one's result.
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.lock"
  flock 9
  if [ -x "$bin/testcluster" ] && [ -x "$bin/testimage" ] && [ -x "$bin/kubectl" ]; then
    exec 9>&-
    return
  fi
  # A cold build compiles Kubernetes: say so before it starts, and show
  # that it moves, so nobody takes it for a hang.
  echo "building the test cluster harness (Kubernetes $k8s) into $bin" >&2
  echo "  the first build on a machine compiles Kubernetes: about 9 minutes on 2 cores (measured); later builds take seconds" >&2
  local start=$SECONDS tmp
  tmp=$(mktemp -d "$cache_root/.build-XXXXXX")
  # go build -v names each package as it compiles it: count them while it runs.
  # (It holds neither stdout, which a caller may be reading to its end, nor
  # the lock, and its sleep goes with it.)
  (
    trap 'kill "$s" 2>/dev/null; exit 0' TERM
    while :; do
      sleep "${TESTCLUSTER_PROGRESS_SECONDS:-30}" &
      s=$!
      wait "$s"
      echo "  ... still building: $((SECONDS - start))s, $(wc -l <"$tmp/build.log" 2>/dev/null || echo 0) packages compiled" >&2
    done
  ) >/dev/null 9>&- &
  local ticker=$! rc=0
  # No -trimpath: the same flags as `go vet` in `make verify`, so a cold CI
  # compiles Kubernetes once, not twice.
  (cd "$root/test/cluster" &&
    go build -v -buildvcs=false -ldflags "$ldflags" -o "$tmp/testcluster" . 2>"$tmp/build.log" &&
    go build -buildvcs=false -ldflags "-s -w" -o "$tmp/testimage" ./testimage &&
    # A kubectl of the server's version (the go.mod's tool), for the tests
    # that drive kubectl: the machine's may be outside the version skew.
    go build -v -buildvcs=false -ldflags "$ldflags" -o "$tmp/kubectl" k8s.io/kubernetes/cmd/kubectl 2>>"$tmp/build.log") || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    # -v mixes package names into the errors: show only the errors.
    grep -v -E '^[[:alnum:]._/-]+$' "$tmp/build.log" >&2 || true
    rm -rf "$tmp"
    echo "building the test cluster harness failed (exit $rc)" >&2
    exit "$rc"
  fi
  rm -f "$tmp/build.log"
  rm -rf "$bin"
  mv "$tmp" "$bin"
  # Keep only this build: each one is a few hundred MB.
  find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "$key" ! -name .lock -exec rm -rf {} +
  exec 9>&-
  echo "built the harness in $((SECONDS - start))s" >&2
}

cmd=${1:-}
case "$cmd" in
  build)
    build
    echo "$bin/testcluster"
    ;;
  up|down|status|load-image|stop-kubelet|start-kubelet)
    build
    exec "$bin/testcluster" "$@"
    ;;
  *)
    echo "usage: $0 build|up [--node]|down|status [--check-clean]|load-image ARCHIVE|stop-kubelet|start-kubelet" >&2
    exit 2
    ;;
esac
