#!/usr/bin/env bash
# Installs the Debian packages this repository needs to build, test and run its
# local test cluster. Idempotent: each package is checked with dpkg -s and only
# the missing ones are installed.
set -euo pipefail

packages=(
  # the test cluster's node tier (systemd-journal-remote writes its journal;
  # journalctl comes with systemd)
  containerd runc containernetworking-plugins iproute2 iptables util-linux
  systemd systemd-journal-remote
  # images: build and run them without a registry
  podman buildah skopeo busybox-static bash-static
  # used by the scripts and tests
  ca-certificates git make procps tar gzip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
