package serve

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// selectable are the fields beyond metadata.name and metadata.namespace
// that the API server lets a field selector use, by resource (the ones
// kubectl and people use: describe's events, pods by node or phase).
var selectable = map[schema.GroupResource]map[string][]string{
	{Resource: "events"}: {
		"involvedObject.kind": {"involvedObject", "kind"}, "involvedObject.namespace": {"involvedObject", "namespace"},
		"involvedObject.name": {"involvedObject", "name"}, "involvedObject.uid": {"involvedObject", "uid"},
		"involvedObject.apiVersion": {"involvedObject", "apiVersion"}, "involvedObject.resourceVersion": {"involvedObject", "resourceVersion"},
		"involvedObject.fieldPath": {"involvedObject", "fieldPath"}, "reason": {"reason"}, "reportingComponent": {"reportingComponent"},
		"source": {"source", "component"}, "type": {"type"},
	},
	{Resource: "pods"}: {
		"spec.nodeName": {"spec", "nodeName"}, "spec.restartPolicy": {"spec", "restartPolicy"},
		"spec.schedulerName": {"spec", "schedulerName"}, "spec.serviceAccountName": {"spec", "serviceAccountName"},
		"spec.hostNetwork": {"spec", "hostNetwork"}, "status.phase": {"status", "phase"},
		"status.podIP": {"status", "podIP"}, "status.nominatedNodeName": {"status", "nominatedNodeName"},
	},
	{Resource: "nodes"}:                          {"spec.unschedulable": {"spec", "unschedulable"}},
	{Resource: "namespaces"}:                     {"status.phase": {"status", "phase"}},
	{Resource: "secrets"}:                        {"type": {"type"}},
	{Resource: "replicationcontrollers"}:         {"status.replicas": {"status", "replicas"}},
	{Group: "apps", Resource: "replicasets"}:     {"status.replicas": {"status", "replicas"}},
	{Group: "batch", Resource: "jobs"}:           {"status.successful": {"status", "succeeded"}},
	{Group: "events.k8s.io", Resource: "events"}: {"regarding.name": {"regarding", "name"}, "regarding.kind": {"regarding", "kind"}, "regarding.namespace": {"regarding", "namespace"}, "regarding.uid": {"regarding", "uid"}, "reason": {"reason"}, "type": {"type"}},
}

// selectableFields are the values of an object's selectable fields.
func selectableFields(gr schema.GroupResource, obj map[string]any) fields.Set {
	set := fields.Set{}
	for name, path := range selectable[gr] {
		v, found, _ := unstructured.NestedFieldNoCopy(obj, path...)
		// An absent field is "" to a selector: it is not kept.
		if found && v != nil {
			if s := fmt.Sprint(v); s != "" {
				set[name] = s
			}
		}
	}
	return set
}

// checkSelector says whether the API server would take sel for gr: the
// fields are metadata.name, metadata.namespace and those of selectable.
func checkSelector(gr schema.GroupResource, sel fields.Selector) error {
	for _, r := range sel.Requirements() {
		if r.Field == "metadata.name" || r.Field == "metadata.namespace" {
			continue
		}
		if _, ok := selectable[gr][r.Field]; !ok {
			return fmt.Errorf("field label not supported: %s", r.Field)
		}
	}
	return nil
}
