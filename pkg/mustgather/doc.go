// Package mustgather is the client (kubectl-must_gather): it runs
// must-gather images in a temporary namespace of the cluster, streams
// their logs, copies their result back and cleans up, as
// `oc adm must-gather` does.
package mustgather
