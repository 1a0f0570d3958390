#!/usr/bin/env bash
# Installs the Debian packages this repository needs. `make run` and `make
# test` call it first; .ci/run too. Idempotent: a package already installed
# is left alone, and one line says when nothing was needed.
#
#   hack/install-deps.sh        everything `make test` needs (test cluster, images)
#   hack/install-deps.sh run    what `make run` needs: nothing when a kubeconfig
#                               is given (no harness, no dpkg needed), else the
#                               local test cluster's packages
#
# SKIP_INSTALL_DEPS=1 skips it (a machine that is not Debian, with the tools
# installed another way).
set -euo pipefail

mode=${1:-test}

cluster=(
  # the test cluster's node tier (systemd-journal-remote writes its journal;
  # journalctl comes with systemd)
  containerd runc containernetworking-plugins iproute2 iptables util-linux
  systemd systemd-journal-remote
  ca-certificates git make procps tar gzip
)
images=(
  # build and run images without a registry
  podman buildah skopeo busybox-static bash-static
)
browser=(
  # the overview page's check and benchmark (test/browser): headless Chromium,
  # driven through the DevTools protocol
  chromium
)

case "$mode" in
  run)
    # The rule of hack/run.sh (and kubectl): $KUBECONFIG, else ~/.kube/config.
    if [ -n "${KUBECONFIG:-}" ] || [ -f "$HOME/.kube/config" ]; then
      echo "install-deps: a kubeconfig is given: the local test cluster is not needed, nothing to install"
      exit 0
    fi
    packages=("${cluster[@]}")
    ;;
  test) packages=("${cluster[@]}" "${images[@]}" "${browser[@]}") ;;
  *)
    echo "usage: $0 [run|test]" >&2
    exit 2
    ;;
esac

if [ "${SKIP_INSTALL_DEPS:-0}" = 1 ]; then
  echo "install-deps: skipped (SKIP_INSTALL_DEPS=1); needed: ${packages[*]}"
  exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: not a Debian system (no dpkg-query): install the equivalents of ${packages[*]}, then run again with SKIP_INSTALL_DEPS=1" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  # dpkg -s also succeeds for a removed package whose configuration is
  # left ("deinstall ok config-files"): ask for the exact state.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present, nothing to install"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages ${missing[*]}; install them as root: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# apt's progress is noise; its output is shown when it fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: installing ${missing[*]} failed" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
