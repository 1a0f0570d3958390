// Package serve answers the read-only part of the Kubernetes API from a
// gathered bundle (ours, or any in the layout of oc adm must-gather and oc
// adm inspect), so that kubectl get, describe and logs work on it: Index
// reads the bundle once, and Handler serves discovery, lists, objects,
// tables and logs from it. Every write is refused.
package serve
