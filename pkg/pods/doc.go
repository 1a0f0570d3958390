// Package pods is the pod plumbing shared by the node collectors' debug
// pods and the must-gather client: create a pod, wait for it through a
// watch, exec in it with streams, copy a directory out of it as a tar
// stream, and unpack such a stream safely.
package pods
