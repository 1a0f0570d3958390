// Package e2e holds end-to-end tests on the real test cluster (see
// test/clustertest); `go test -short` skips them.
package e2e
