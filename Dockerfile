# The must-gather image: /usr/bin/gather is the static gather binary built by
# `make build`, the default steps are at /usr/share/gather/gather.d.
#
# `oc adm must-gather` runs it as /bin/bash -c "<disk checker using df, du,
# awk, sed, sleep> & /usr/bin/gather; sync" and copies /must-gather out with
# rsync or tar, so the base needs bash, those utilities and tar. `make image`
# builds from a local busybox + bash-static base (images/base); the default
# here is a well-known small base that has them.
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}

ARG VERSION=0.0.0-unknown
ARG REVISION=unknown
ARG SOURCE=https://github.com/must-gather/toolkit
LABEL org.opencontainers.image.title="must-gather-toolkit" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

COPY _output/bin/gather /usr/bin/gather
COPY gather.d/ /usr/share/gather/gather.d/
# `oc adm must-gather -- /usr/bin/gather_audit_logs`: the same binary.
# (The local base has the link already; -f keeps it one link.)
RUN ln -sf gather /usr/bin/gather_audit_logs

CMD ["/usr/bin/gather"]
