#!/usr/bin/env bash
# Builds the tiny local base userland of the image without any registry:
# Debian's busybox-static and bash-static (installed by hack/install-deps.sh),
# with busybox's applet links, as a reproducible image (FROM scratch).
#   images/base/build.sh IMAGE_REF [PODMAN ARGS...]
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
install -m 0755 /bin/busybox "$fs/bin/busybox"
install -m 0755 /bin/bash-static "$fs/bin/bash"
for applet in $(/bin/busybox --list-full); do
  case "$applet" in bin/bash|bin/busybox) continue ;; esac
  [ -e "$fs/$applet" ] || ln -s /bin/busybox "$fs/$applet"
done
# SESSION_TOOLS=1: also the host's util-linux setsid and procps ps/pkill (with
# their shared libraries), for testing the branch of oc's command line that
# uses them (busybox's setsid has no -w, and it has no pkill).
if [ "${SESSION_TOOLS:-0}" = 1 ]; then
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
podman "$@" build --quiet --no-cache --pull=never --timestamp "$epoch" -t "$ref" "$work" >/dev/null
echo "$ref"
