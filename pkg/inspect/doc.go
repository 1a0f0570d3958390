// Package inspect is the "super-get": given resources, it writes them and
// everything they point at (status.relatedObjects, namespaces and all in
// them, pods and their logs, the namespaces of webhook and CRD-conversion
// services) in the directory layout of `oc adm inspect`, so the readers of
// that output work on ours.
package inspect
