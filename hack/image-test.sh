#!/usr/bin/env bash
# The image, tested on this machine (part of `make test`), with the commands
# of docs/image.md and the README run as they are written (fetched from the
# docs by test/docs/cmd/doccmd: a change to the docs changes what runs here).
# Their podman store is a throwaway one, chosen by the environment alone
# (CONTAINERS_STORAGE_CONF), so no command needs an extra argument:
#  1. `make image`, then `make image-archive` (which builds it again): the
#     same commit must give the same image ID; the offline UBI build
#     (`make image-ubi ... UBI_LOCAL=1`) twice, likewise;
#  2. the offline flow of the README (`mkdir -p must-gather`, `podman run
#     ... -v ./kubeconfig:/kubeconfig:Z ...`) against the real test cluster
#     ($TEST_KUBECONFIG); then the version file, the manifest and the data
#     are checked, and a Secret value planted in the cluster is in no file
#     (.gz read too) (test/e2e TestImageOfflinePodman);
#  3. `make cluster-load-image ARCHIVE=_output/image.tar`, then the image in
#     a pod of the cluster, the way `oc adm must-gather` runs it (test/e2e
#     TestImageAsOcMustGather), and a variant for oc's other branch;
#  3b. the example of a product's image built on ours (`make image-example`,
#     docs/write-an-image.md): its labels and ENV agree, and the client runs
#     it (test/e2e TestExampleImage);
#  4. `make image-multiarch` twice: the same manifest-list digest, the four
#     platforms, in each platform's image /usr/bin/gather (and
#     gather_audit_logs) of its architecture (ELF header read by
#     test/cmd/elfarch, nothing run) and the same version and revision
#     labels; the amd64 image runs the offline flow of 2;
#  5. `make release REGISTRY=127.0.0.1:5000/test ...` against a registry
#     served on that loopback address (crane registry serve): the list
#     arrives under both tags, and pulled back by digest it has the four
#     platforms.
# IMAGE_TEST_ONLY=multiarch runs 4 and 5 alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
kc=${TEST_KUBECONFIG:?TEST_KUBECONFIG must name the test cluster kubeconfig}
# `make cluster-load-image` works on the harness's cluster: the one whose
# state directory holds TEST_KUBECONFIG.
if [ -z "${TESTCLUSTER_DIR:-}" ] && [ -f "$(dirname "$kc")/cluster.json" ]; then
  export TESTCLUSTER_DIR
  TESTCLUSTER_DIR=$(dirname "$kc")
fi
export CONTAINERS_CONF=$root/images/containers.conf

work=$(mktemp -d /tmp/mgtk-image-test.XXXXXX)
cat >"$work/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$work/root"
runroot = "$work/runroot"
EOF
export CONTAINERS_STORAGE_CONF=$work/storage.conf
own_store=0
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
  # Only ever the throwaway store (checked below), never the machine's.
  if [ "$own_store" = 1 ]; then podman rmi -a -f >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "image test: FAIL: $*" >&2; exit 1; }
graphroot=$(podman info --format '{{.Store.GraphRoot}}')
[ "$graphroot" = "$work/root" ] || fail "podman ignores CONTAINERS_STORAGE_CONF: its store is $graphroot, not $work/root"
own_store=1

go build -o "$work/doccmd" ./test/docs/cmd/doccmd
# documented FILE PREFIX prints the one command of FILE's ```sh blocks that
# starts with PREFIX; run_documented runs it as written.
documented() { "$work/doccmd" "$1" "$2"; }
run_documented() {
  local cmd
  cmd=$(documented "$1" "$2") || fail "no command '$2' in $1"
  echo "image test: \$ $cmd" >&2
  bash -c "$cmd"
}

image=$(make -s print-IMAGE)
if [ "${IMAGE_TEST_ONLY:-}" != multiarch ]; then
start=$SECONDS
run_documented docs/image.md 'make image' >/dev/null || fail "make image"
id1=$(podman image inspect --format '{{.Id}}' "$image")
echo "image test: built $image ($id1) in $((SECONDS - start))s"
run_documented docs/image.md 'make image-archive' >/dev/null || fail "make image-archive"
id2=$(podman image inspect --format '{{.Id}}' "$image")
[ "$id1" = "$id2" ] || fail "the same commit built two image IDs: $id1 and $id2"
[ -s _output/image.tar ] || fail "make image-archive wrote no _output/image.tar"
echo "image test: rebuilt to the same ID and saved _output/image.tar"

# The UBI variant, built here from the local base (offline: no package
# installs), must also rebuild to the same ID and carry the same identity.
ubi=$(make -s print-UBI_IMAGE)
run_documented docs/image.md 'make image-ubi UBI_BUILDER=' >/dev/null || fail "make image-ubi (offline)"
u1=$(podman image inspect --format '{{.Id}}' "$ubi")
run_documented docs/image.md 'make image-ubi UBI_BUILDER=' >/dev/null || fail "make image-ubi (offline)"
u2=$(podman image inspect --format '{{.Id}}' "$ubi")
[ "$u1" = "$u2" ] || fail "the same commit built two UBI image IDs: $u1 and $u2"
v_ubi=$(podman run --rm "$ubi" /usr/bin/gather version)
v_img=$(podman run --rm "$image" /usr/bin/gather version)
[ "$v_ubi" = "$v_img" ] || fail "UBI image says $v_ubi, the image says $v_img"
echo "image test: UBI image built and rebuilt to the same ID ($v_ubi)"

# 2. The offline flow as a user runs it (the README's two commands, run by
#    the test in a folder holding ./kubeconfig), with a Secret planted in
#    the cluster that must not appear in the output.
IMAGE_REF=$image IMAGE_VERSION=$(make -s print-BUILD_VERSION) \
  go test -vet=off -count=1 -run '^TestImageOfflinePodman$' ./test/e2e/ || fail "the offline podman run"
echo "image test: offline podman run checked"

# 3. As the default image of `oc adm must-gather`, in a pod of the cluster:
#    the image as built and loaded as documented (busybox has no pkill:
#    oc's plain branch), and a variant with util-linux setsid and procps
#    ps/pkill (oc's setsid branch).
run_documented docs/test-cluster.md 'make cluster-load-image' || fail "make cluster-load-image"
IMAGE_REF=$image IMAGE_SESSION_TOOLS=false \
  go test -vet=off -count=1 -run '^TestImageAsOcMustGather$' ./test/e2e/ || fail "the image as oc adm must-gather runs it"
variant=localhost/mgtk/must-gather:session-tools
make -s image SESSION_TOOLS=1 BASE_IMAGE=localhost/must-gather-base:session-tools IMAGE=$variant MOVING_TAG=$variant-latest >/dev/null
podman save --format docker-archive -o "$work/variant.tar" "$variant" >/dev/null
IMAGE_ARCHIVE=$work/variant.tar IMAGE_REF=$variant IMAGE_SESSION_TOOLS=true \
  go test -vet=off -count=1 -run '^TestImageAsOcMustGather$' ./test/e2e/ || fail "oc's setsid branch"
echo "image test: both branches of oc's command line ran the gather in a pod"

# 3b. A product's image built on ours (images/example-operator), built as
#     docs/write-an-image.md says: its version label agrees with the
#     version its ENV lines give the version file; then the client runs it
#     alone, beside ours, and through --all-images (test/e2e
#     TestExampleImage).
run_documented docs/write-an-image.md 'make image-example' >/dev/null || fail "make image-example"
example=$(make -s print-EXAMPLE_IMAGE)
env_version=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$example" | sed -n 's/^MUST_GATHER_VERSION=//p')
env_product=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$example" | sed -n 's/^MUST_GATHER_PRODUCT=//p')
label_version=$(podman image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$example")
[ -n "$env_version" ] && [ "$env_version" = "$label_version" ] ||
  fail "$example: MUST_GATHER_VERSION=$env_version but the label org.opencontainers.image.version=$label_version"
[ "$env_product" = example-operator ] || fail "$example: MUST_GATHER_PRODUCT=$env_product"
podman save --format docker-archive -o "$work/example.tar" "$example" >/dev/null
EXAMPLE_IMAGE_REF=$example EXAMPLE_IMAGE_ARCHIVE=$work/example.tar EXAMPLE_IMAGE_VERSION=$env_version IMAGE_REF=$image \
  go test -vet=off -count=1 -timeout 30m -run '^TestExampleImage$' ./test/e2e/ || fail "the example image run by the client"
echo "image test: the example image ($env_product $env_version) ran alone, beside ours and through --all-images"

fi # IMAGE_TEST_ONLY

# 4. The multi-architecture list, built twice from this commit.
platforms="linux/amd64 linux/arm64 linux/ppc64le linux/s390x"
start=$SECONDS
run_documented docs/image.md 'make image-multiarch' >/dev/null 2>"$work/multiarch.log" ||
  { cat "$work/multiarch.log" >&2; fail "make image-multiarch"; }
echo "image test: built the manifest list $image in $((SECONDS - start))s"
list_digest() { skopeo inspect --raw "containers-storage:$image" | sha256sum | cut -d' ' -f1; }
d1=$(list_digest)
start=$SECONDS
run_documented docs/image.md 'make image-multiarch' >/dev/null 2>"$work/multiarch.log" ||
  { cat "$work/multiarch.log" >&2; fail "make image-multiarch (again)"; }
d2=$(list_digest)
[ "$d1" = "$d2" ] || fail "the same commit built two manifest lists: sha256:$d1 and sha256:$d2"
echo "image test: rebuilt the list to the same digest sha256:$d1 in $((SECONDS - start))s"
got=$(podman manifest inspect "$image" | jq -r '.manifests[].platform | .os + "/" + .architecture' | tr '\n' ' ')
[ "$got" = "$platforms " ] || fail "podman manifest inspect $image shows '$got', want '$platforms'"
go build -o "$work/elfarch" ./test/cmd/elfarch
want_version=$(make -s print-BUILD_VERSION)
want_revision=$(make -s print-GIT_COMMIT)
for p in $platforms; do
  arch=${p#*/}
  digest=$(podman manifest inspect "$image" | jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture == $a) | .digest')
  ref=$image@$digest
  labels=$(podman image inspect --format '{{.Os}}/{{.Architecture}} {{index .Labels "org.opencontainers.image.version"}} {{index .Labels "org.opencontainers.image.revision"}}' "$ref")
  [ "$labels" = "$p $want_version $want_revision" ] || fail "$ref: '$labels', want '$p $want_version $want_revision'"
  ctr=$(podman create --pull=never "$ref" 2>/dev/null) || fail "podman create $ref"
  mkdir -p "$work/$arch"
  podman cp "$ctr:/usr/bin/gather" "$work/$arch/gather" && podman cp "$ctr:/usr/bin/gather_audit_logs" "$work/$arch/gather_audit_logs" ||
    { podman rm "$ctr" >/dev/null; fail "copying /usr/bin/gather and gather_audit_logs out of $ref"; }
  podman rm "$ctr" >/dev/null
  for f in gather gather_audit_logs; do
    got=$("$work/elfarch" "$work/$arch/$f") || fail "$ref: /usr/bin/$f"
    [ "$got" = "$arch" ] || fail "$ref: /usr/bin/$f is an $got executable, want $arch"
  done
  [ "$arch" = amd64 ] && amd64_ref=$ref
done
echo "image test: the list holds $platforms, each with /usr/bin/gather of its architecture and version $want_version"
# The amd64 image runs the offline flow: the README's podman run names the
# list, which podman resolves to the image of this (amd64) host.
[ "$(podman image inspect --format '{{.Id}}' "$image")" = "$(podman image inspect --format '{{.Id}}' "$amd64_ref")" ] ||
  fail "$image does not resolve to its amd64 image $amd64_ref here"
IMAGE_REF=$image IMAGE_VERSION=$want_version \
  go test -vet=off -count=1 -run '^TestImageOfflinePodman$' ./test/e2e/ || fail "the offline podman run of the amd64 image of the list"
echo "image test: the amd64 image of the list ran the offline flow"

# 5. `make release` against a registry on the loopback address the docs
#    name: the per-release tag and the moving tag arrive, and the pushed
#    image reports VERSION as it is.
release=$(documented docs/image.md 'make release REGISTRY=') || fail "no make release REGISTRY=... in docs/image.md"
[[ $release =~ REGISTRY=([0-9.]+:[0-9]+)/ ]] || fail "'$release' names no loopback registry address"
addr=${BASH_REMATCH[1]}
if (exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}") 2>/dev/null; then
  fail "$addr is taken (another registry or test?): the documented 'make release' pushes there; free it and run again"
fi
crane=$work/crane
GOBIN=$work go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
"$crane" registry serve --address "$addr" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do "$crane" catalog --insecure "$addr" >/dev/null 2>&1 && break; sleep 0.1; done
"$crane" catalog --insecure "$addr" >/dev/null 2>&1 || { cat "$work/registry.log" >&2; fail "the registry on $addr did not start"; }
run_documented docs/image.md 'make release REGISTRY=' >/dev/null 2>"$work/release.log" ||
  { cat "$work/release.log" >&2; fail "make release"; }
repo=$("$crane" catalog --insecure "$addr" | grep '/must-gather-toolkit$') || fail "make release pushed no must-gather-toolkit repository to $addr"
version=$(cat VERSION)
tags=$("$crane" ls --insecure "$addr/$repo" | sort | tr '\n' ' ')
[ "$tags" = "latest v$version " ] || fail "pushed tags: '$tags', want 'latest v$version '"
# Every platform's image reports VERSION as it is and the same revision.
revision=$(make -s print-GIT_COMMIT)
for p in $platforms; do
  labels=$("$crane" config --insecure --platform "$p" "$addr/$repo:v$version" |
    jq -r '.architecture + " " + .config.Labels["org.opencontainers.image.version"] + " " + .config.Labels["org.opencontainers.image.revision"]')
  [ "$labels" = "${p#*/} $version $revision" ] || fail "released $p image: '$labels', want '${p#*/} $version $revision'"
done
pushed=$("$crane" digest --insecure "$addr/$repo:v$version") || fail "no digest of $addr/$repo:v$version"
[ "$("$crane" digest --insecure "$addr/$repo:latest")" = "$pushed" ] || fail "latest and v$version are not the same list"
# Pulled back by digest with all its images (an OCI layout): the same four
# platforms, and the list pulled is the list pushed.
skopeo copy --quiet --all --src-tls-verify=false "docker://$addr/$repo@$pushed" "oci:$work/pulled" ||
  fail "pulling $addr/$repo@$pushed back"
pulled=$(jq -r '.manifests[0].digest' "$work/pulled/index.json")
[ "$pulled" = "$pushed" ] || fail "pulled $pulled by digest $pushed"
got=$(jq -r '.manifests[].platform | .os + "/" + .architecture' "$work/pulled/blobs/sha256/${pulled#sha256:}" | tr '\n' ' ')
[ "$got" = "$platforms " ] || fail "the pushed list $addr/$repo@$pushed shows '$got', want '$platforms'"
echo "image test: make release pushed the list ($pushed: $platforms) as v$version and latest to $addr/$repo"
echo "image test: PASS"
