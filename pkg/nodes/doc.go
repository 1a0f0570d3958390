// Package nodes reaches the nodes of a cluster for collectors: it picks the
// target nodes (control-plane by default, by role, name or label selector,
// skipping the ones that cannot answer) and reads host logs through the
// kubelet's log endpoint behind the apiserver (nodes/NAME/proxy/logs/).
package nodes
