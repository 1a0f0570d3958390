#!/usr/bin/env bash
# Builds the tiny local base userland of the image without any registry:
# Debian's busybox-static and bash-static, with busybox's applet links and
# the image's link /usr/bin/gather_audit_logs -> gather, as a reproducible
# image (FROM scratch).
#   images/base/build.sh IMAGE_REF [PODMAN ARGS...]
# With ARCH unset, the binaries are the host's (installed by
# hack/install-deps.sh). With ARCH=amd64|arm64|ppc64le|s390x (OCI's names),
# they come from Debian's packages of that architecture, fetched by name
# with `apt-get download` (a private apt state: the system's apt config is
# untouched) and unpacked with `dpkg-deb -x`; nothing of that architecture
# runs, and the image is marked linux/ARCH. The .debs are kept in
# _output/base-debs/<debian arch>/, so a second build downloads nothing.
# What `oc adm must-gather` needs of its image is in it: /bin/bash, df, du,
# awk, sed, sleep, setsid, ps, tar (busybox has no pkill: oc then takes its
# other branch).
set -euo pipefail
ref=${1:?usage: $0 IMAGE_REF [podman args...]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fs=$work/rootfs
mkdir -p "$fs/bin" "$fs/usr/bin" "$fs/sbin" "$fs/usr/sbin" "$fs/tmp" "$fs/etc" "$fs/must-gather"
chmod 1777 "$fs/tmp"

arch=${ARCH:-}
platform_args=()
if [ -z "$arch" ]; then
  busybox=/bin/busybox
  bash_static=/bin/bash-static
else
  # Debian says ppc64el where OCI says ppc64le.
  case "$arch" in
    amd64 | arm64 | s390x) debarch=$arch ;;
    ppc64le) debarch=ppc64el ;;
    *) echo "$0: ARCH=$arch: want amd64, arm64, ppc64le or s390x" >&2; exit 2 ;;
  esac
  # The suite the host runs (bookworm here): the applet list below is the
  # host's busybox's, so the packages must be of the same Debian version.
  suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
  debs=$root/_output/base-debs/$debarch
  if ! ls "$debs"/busybox-static_*.deb "$debs"/bash-static_*.deb >/dev/null 2>&1; then
    # A private apt state, removed once the two .debs are here (its lists
    # are most of its size and are needed only to find them).
    apt=$root/_output/base-debs/apt-$debarch
    rm -rf "$apt" "$debs.partial"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$debs.partial"
    echo "deb [arch=$debarch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$apt/sources.list"
    opts=(-q -o "APT::Architecture=$debarch" -o "APT::Architectures::=$debarch"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
      -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::status=/dev/null)
    apt-get "${opts[@]}" update >&2
    # apt's _apt user downloads into a folder it can write.
    chmod 0777 "$debs.partial"
    (cd "$debs.partial" && apt-get "${opts[@]}" download "busybox-static:$debarch" "bash-static:$debarch" >&2)
    rm -rf "$debs" "$apt"
    mv "$debs.partial" "$debs"
    chmod 0755 "$debs"
  fi
  for deb in "$debs"/busybox-static_*.deb "$debs"/bash-static_*.deb; do
    dpkg-deb -x "$deb" "$work/unpacked"
  done
  busybox=$work/unpacked/bin/busybox
  bash_static=$work/unpacked/bin/bash-static
  # A foreign busybox cannot run here to list its applets: the list is the
  # host's busybox's, which is right only for the same build of busybox.
  host_version=$(dpkg-query -W -f '${Version}' busybox-static | sed 's/+b[0-9]*$//')
  deb_version=$(dpkg-deb -f "$debs"/busybox-static_*.deb Version | sed 's/+b[0-9]*$//')
  if [ "$host_version" != "$deb_version" ]; then
    echo "$0: the host's busybox-static is $host_version, the $debarch package $deb_version: the applet list would not match (remove $debs to fetch it again)" >&2
    exit 1
  fi
  platform_args=(--platform "linux/$arch")
fi
install -m 0755 "$busybox" "$fs/bin/busybox"
install -m 0755 "$bash_static" "$fs/bin/bash"
for applet in $(/bin/busybox --list-full); do
  case "$applet" in bin/bash|bin/busybox) continue ;; esac
  [ -e "$fs/$applet" ] || ln -s /bin/busybox "$fs/$applet"
done
# `oc adm must-gather -- /usr/bin/gather_audit_logs`: the gather binary the
# image adds (dangling in the base itself), so the image needs no RUN step.
ln -s gather "$fs/usr/bin/gather_audit_logs"
# SESSION_TOOLS=1: also the host's util-linux setsid and procps ps/pkill (with
# their shared libraries), for testing the branch of oc's command line that
# uses them (busybox's setsid has no -w, and it has no pkill).
if [ "${SESSION_TOOLS:-0}" = 1 ]; then
  [ -z "$arch" ] || { echo "$0: SESSION_TOOLS=1 takes the host's tools: not with ARCH" >&2; exit 2; }
  for tool in setsid ps pkill; do
    bin=$(command -v "$tool")
    rm -f "$fs/usr/bin/$tool"
    install -m 0755 "$bin" "$fs/usr/bin/$tool"
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
      mkdir -p "$fs$(dirname "$lib")"
      cp -L "$lib" "$fs$lib"
    done
  done
fi
echo 'root:x:0:0:root:/root:/bin/bash' > "$fs/etc/passwd"
echo 'root:x:0:' > "$fs/etc/group"
# Reproducible: fixed times, owners and order.
epoch=${SOURCE_DATE_EPOCH:-0}
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$fs" -cf "$work/rootfs.tar" .
printf 'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n' > "$work/Containerfile"
podman "$@" build --quiet --no-cache --pull=never --timestamp "$epoch" "${platform_args[@]}" -t "$ref" "$work" >/dev/null
echo "$ref"
