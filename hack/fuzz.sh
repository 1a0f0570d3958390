#!/usr/bin/env bash
# Runs every Go fuzz test of the product module, one after the other, for
# FUZZTIME each (a duration, or a count like 10000x). A failing input is
# written by go test to the package's testdata/fuzz/FuzzName/, where it
# then runs with every `go test` as a seed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
failed=0
for pkg in $(go list ./pkg/...); do
  for fuzzer in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $fuzzer ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${fuzzer}\$" -fuzztime "$fuzztime" ${FUZZFLAGS:-} "$pkg"; then
      failed=1
    fi
  done
done
exit "$failed"
