#!/usr/bin/env bash
# The image, tested on this machine (part of `make test`):
#  1. `make image` and `make image-ubi` (from the local base) twice each into
#     a throwaway podman store: the same commit must give the same image ID;
#  2. the offline flow exactly as a user runs it:
#     podman run --rm --network=host -v KUBECONFIG:/kubeconfig:Z
#       -e KUBECONFIG=/kubeconfig -v OUT:/must-gather:Z IMAGE
#     against the real test cluster ($TEST_KUBECONFIG); then the version
#     file, the manifest and the data are checked, and a Secret value planted
#     in the cluster is in no file (.gz read too) (test/e2e);
#  3. the image in a pod of the cluster, the way `oc adm must-gather` runs it
#     (test/e2e TestImageAsOcMustGather);
#  4. `make release` against a registry on loopback (crane registry serve).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
kc=${TEST_KUBECONFIG:?TEST_KUBECONFIG must name the test cluster kubeconfig}
export CONTAINERS_CONF=$root/images/containers.conf

work=$(mktemp -d /tmp/mgtk-image-test.XXXXXX)
args=(--root "$work/root" --runroot "$work/runroot" --storage-driver vfs)
cleanup() {
  podman "${args[@]}" rmi -a -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "image test: FAIL: $*" >&2; exit 1; }

image=$(make -s print-IMAGE)
start=$SECONDS
make -s image PODMAN_ARGS="${args[*]}" >/dev/null
id1=$(podman "${args[@]}" image inspect --format '{{.Id}}' "$image")
echo "image test: built $image ($id1) in $((SECONDS - start))s"
make -s image PODMAN_ARGS="${args[*]}" >/dev/null
id2=$(podman "${args[@]}" image inspect --format '{{.Id}}' "$image")
[ "$id1" = "$id2" ] || fail "the same commit built two image IDs: $id1 and $id2"
echo "image test: rebuilt to the same ID"

# The UBI variant, built here from the local base (offline: no package
# installs), must also rebuild to the same ID and carry the same identity.
ubi=$(make -s print-UBI_IMAGE)
ubi_args=(PODMAN_ARGS="${args[*]}" UBI_BUILDER="$(make -s print-BASE_IMAGE)" UBI_BASE="$(make -s print-BASE_IMAGE)" UBI_LOCAL=1)
make -s image-ubi "${ubi_args[@]}" >/dev/null
u1=$(podman "${args[@]}" image inspect --format '{{.Id}}' "$ubi")
make -s image-ubi "${ubi_args[@]}" >/dev/null
u2=$(podman "${args[@]}" image inspect --format '{{.Id}}' "$ubi")
[ "$u1" = "$u2" ] || fail "the same commit built two UBI image IDs: $u1 and $u2"
v_ubi=$(podman "${args[@]}" run --rm "$ubi" /usr/bin/gather version)
v_img=$(podman "${args[@]}" run --rm "$image" /usr/bin/gather version)
[ "$v_ubi" = "$v_img" ] || fail "UBI image says $v_ubi, the image says $v_img"
echo "image test: UBI image built and rebuilt to the same ID ($v_ubi)"

# 2. The offline flow as a user runs it (podman run --network=host with a
#    mounted kubeconfig), with a Secret planted in the cluster that must not
#    appear in the output.
IMAGE_REF=$image IMAGE_PODMAN_ARGS="${args[*]}" IMAGE_VERSION=$(make -s print-BUILD_VERSION) \
  go test -vet=off -count=1 -run '^TestImageOfflinePodman$' ./test/e2e/ || fail "the offline podman run"
echo "image test: offline podman run checked"

# 3. As the default image of `oc adm must-gather`, in a pod of the cluster:
#    the image as built (busybox has no pkill: oc's plain branch), and a
#    variant with util-linux setsid and procps ps/pkill (oc's setsid branch).
podman "${args[@]}" save --format docker-archive -o "$work/image.tar" "$image" >/dev/null
IMAGE_ARCHIVE=$work/image.tar IMAGE_REF=$image IMAGE_SESSION_TOOLS=false \
  go test -vet=off -count=1 -run '^TestImageAsOcMustGather$' ./test/e2e/ || fail "the image as oc adm must-gather runs it"
variant=localhost/mgtk/must-gather:session-tools
make -s image SESSION_TOOLS=1 BASE_IMAGE=localhost/must-gather-base:session-tools IMAGE=$variant MOVING_TAG=$variant-latest \
  PODMAN_ARGS="${args[*]}" >/dev/null
podman "${args[@]}" save --format docker-archive -o "$work/variant.tar" "$variant" >/dev/null
IMAGE_ARCHIVE=$work/variant.tar IMAGE_REF=$variant IMAGE_SESSION_TOOLS=true \
  go test -vet=off -count=1 -run '^TestImageAsOcMustGather$' ./test/e2e/ || fail "oc's setsid branch"
echo "image test: both branches of oc's command line ran the gather in a pod"
# 4. `make release` against a registry on loopback: the per-release tag and
#    the moving tag arrive, and the pushed image reports VERSION as it is.
port=$(( 20000 + RANDOM % 20000 ))
crane=$work/crane
GOBIN=$work go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
"$crane" registry serve --address "127.0.0.1:$port" >"$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 50); do "$crane" catalog --insecure "127.0.0.1:$port" >/dev/null 2>&1 && break; sleep 0.1; done
reg=127.0.0.1:$port/mgtk
make -s release REGISTRY="$reg" PODMAN_ARGS="${args[*]}" PUSH_ARGS=--tls-verify=false >/dev/null 2>"$work/release.log" ||
  { cat "$work/release.log" >&2; fail "make release"; }
version=$(cat VERSION)
tags=$("$crane" ls --insecure "$reg/must-gather-toolkit" | sort | tr '\n' ' ')
[ "$tags" = "latest v$version " ] || fail "pushed tags: '$tags', want 'latest v$version '"
label=$("$crane" config --insecure "$reg/must-gather-toolkit:v$version" | grep -o '"org.opencontainers.image.version":"[^"]*"')
[ "$label" = "\"org.opencontainers.image.version\":\"$version\"" ] || fail "released image label $label, want $version"
echo "image test: make release pushed v$version and latest to a loopback registry"
echo "image test: PASS"
