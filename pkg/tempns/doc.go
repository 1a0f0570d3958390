// Package tempns is the temporary namespace of a run (the node collectors'
// debug pods, the client's gather pods): its labels, its expiry, and the
// sweep that deletes the expired namespaces of earlier, killed runs.
package tempns
