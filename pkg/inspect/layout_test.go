package inspect

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/output/outputtest"
)

// The paths readers of `oc adm inspect` output open; pinned here.
func TestLayout(t *testing.T) {
	t.Parallel()
	co := schema.GroupResource{Group: "config.openshift.io", Resource: "clusteroperators"}
	pods := schema.GroupResource{Resource: "pods"}
	deploy := schema.GroupResource{Group: "apps", Resource: "deployments"}
	var p paths
	got := []string{
		must(t)(p.clusterObject(co, "etcd")),
		must(t)(p.clusterList(co)),
		must(t)(p.clusterObject(schema.GroupResource{Resource: "nodes"}, "node-a")),
		must(t)(p.namespace("openshift-etcd")),
		must(t)(p.namespacedList("ns", pods)),
		must(t)(p.namespacedList("ns", deploy)),
		must(t)(p.namespacedObject("ns", deploy, "web")),
		must(t)(p.pod("ns", "web-1")),
		must(t)(p.log("ns", "web-1", "main", false)),
		must(t)(p.log("ns", "web-1", "main", true)),
	}
	want := []string{
		"cluster-scoped-resources/config.openshift.io/clusteroperators/etcd.yaml",
		"cluster-scoped-resources/config.openshift.io/clusteroperators.yaml",
		"cluster-scoped-resources/core/nodes/node-a.yaml",
		"namespaces/openshift-etcd/openshift-etcd.yaml",
		"namespaces/ns/core/pods.yaml",
		"namespaces/ns/apps/deployments.yaml",
		"namespaces/ns/apps/deployments/web.yaml",
		"namespaces/ns/pods/web-1/web-1.yaml",
		"namespaces/ns/pods/web-1/main/main/logs/current.log",
		"namespaces/ns/pods/web-1/main/main/logs/previous.log",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layout (-want +got):\n%s", diff)
	}
}

func must(t *testing.T) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// Names come from the cluster: one that would climb out of its directory
// is refused, whatever element it is; one too long is shortened and noted.
func TestLayoutRefusesNames(t *testing.T) {
	t.Parallel()
	var notes []string
	p := paths{note: func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }}
	deploy := schema.GroupResource{Group: "apps", Resource: "deployments"}
	for _, tc := range []struct {
		name string
		path func() (string, error)
	}{
		{"object name", func() (string, error) { return p.namespacedObject("ns", deploy, "../../kube-system/core/secrets") }},
		{"cluster object name", func() (string, error) { return p.clusterObject(deploy, "..") }},
		{"namespace", func() (string, error) { return p.namespace("../x") }},
		{"resource", func() (string, error) {
			return p.clusterList(schema.GroupResource{Group: "evil.io", Resource: "../../../etc"})
		}},
		{"group", func() (string, error) {
			return p.namespacedList("ns", schema.GroupResource{Group: "../..", Resource: "things"})
		}},
		{"pod", func() (string, error) { return p.pod("ns", `a\b`) }},
		{"container", func() (string, error) { return p.log("ns", "pod", "c/../../x", false) }},
	} {
		if got, err := tc.path(); !errors.Is(err, output.ErrBadName) {
			t.Errorf("%s: path %q, error %v; want ErrBadName", tc.name, got, err)
		}
	}
	long := strings.Repeat("x", 300)
	got, err := p.namespacedObject("ns", deploy, long)
	if err != nil {
		t.Fatal(err)
	}
	if base := path.Base(got); len(base) != output.MaxName || !strings.HasSuffix(base, ".yaml") || path.Dir(got) != "namespaces/ns/apps/deployments" {
		t.Errorf("long name written as %s", got)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "too long for a file name") {
		t.Errorf("notes %q, want one about the long name", notes)
	}
}

// A name that would climb out of its directory (an aggregated API may serve
// any) is refused with a recorded error; the objects beside it, and the
// list that holds it, are written.
func TestGatherRefusesBadNames(t *testing.T) {
	t.Parallel()
	const evil = "../../../kube-system/core/secrets/s"
	objs := append(world(false),
		object("example.com/v1", "Widget", "app", "parent", map[string]any{"status": map[string]any{"relatedObjects": []any{
			related("example.com", "widgets", "app", evil),
			related("example.com", "widgets", "app", "fine"),
		}}}),
		object("example.com/v1", "Widget", "app", evil, nil),
		object("example.com/v1", "Widget", "app", "fine", nil),
	)
	fc := newFakeCluster(t, false, objs)
	sink, mem := outputtest.New(output.Options{})
	var log strings.Builder
	err := Gather(t.Context(), fc.clients, sink, &log, Config{Namespace: "app"}, []string{"widgets.example.com/parent"})
	if err == nil || !errors.Is(err, output.ErrBadName) {
		t.Errorf("Gather() error = %v, want the refused name", err)
	}
	want := []string{"namespaces/app/example.com/widgets/fine.yaml", "namespaces/app/example.com/widgets/parent.yaml"}
	if diff := cmp.Diff(want, mem.Paths()); diff != "" {
		t.Errorf("written paths (-want +got):\n%s\nlog:\n%s", diff, log.String())
	}
	if !strings.Contains(log.String(), `widgets.example.com/`+evil+` in app: name "`+evil+`": not usable as a file name`) {
		t.Errorf("log does not name the refused object:\n%s", log.String())
	}

	// In a namespace's list file the same object is one item among others.
	sink, mem = outputtest.New(output.Options{})
	if err := Gather(t.Context(), fc.clients, sink, &log, Config{}, []string{"ns/app"}); err != nil {
		t.Fatalf("Gather(ns/app): %v", err)
	}
	list, _ := mem.Read("namespaces/app/example.com/widgets.yaml")
	for _, n := range []string{"name: fine", "name: parent", "name: " + evil} {
		if !strings.Contains(string(list), n) {
			t.Errorf("the widgets list lacks %q:\n%s", n, list)
		}
	}
}

// Operators list related objects that come and go: one that does not exist
// is a warning, and the inspect succeeds; an object named by the user that
// does not exist stays an error (TestGather).
func TestGatherRelatedObjectGone(t *testing.T) {
	t.Parallel()
	objs := append(world(false),
		object("example.com/v1", "Widget", "app", "parent", map[string]any{"status": map[string]any{"relatedObjects": []any{
			related("example.com", "widgets", "app", "gone"),
			related("example.com", "widgets", "app", "fine"),
		}}}),
		object("example.com/v1", "Widget", "app", "fine", nil),
	)
	fc := newFakeCluster(t, false, objs)
	sink, mem := outputtest.New(output.Options{})
	var log strings.Builder
	if err := Gather(t.Context(), fc.clients, sink, &log, Config{Namespace: "app"}, []string{"widgets.example.com/parent"}); err != nil {
		t.Errorf("Gather() = %v, want success", err)
	}
	want := []string{"namespaces/app/example.com/widgets/fine.yaml", "namespaces/app/example.com/widgets/parent.yaml"}
	if diff := cmp.Diff(want, mem.Paths()); diff != "" {
		t.Errorf("written paths (-want +got):\n%s", diff)
	}
	if !strings.Contains(log.String(), "inspect: warning: related object widgets.example.com/gone in app of parent does not exist") {
		t.Errorf("log:\n%s", log.String())
	}
}
