package inspect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/must-gather/toolkit/pkg/output"
)

func TestWriteEventFilter(t *testing.T) {
	t.Parallel()
	sink, err := output.New(t.TempDir(), output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	events := map[string][]map[string]any{
		"ns-a": {{
			"apiVersion": "v1", "kind": "Event",
			"metadata": map[string]any{"name": "e1", "namespace": "ns-a"},
			"type":     "Warning", "reason": "BackOff", "count": 5,
			"lastTimestamp":  "2026-11-26T10:00:02Z",
			"message":        "Back-off restarting <script>alert(1)</script>",
			"involvedObject": map[string]any{"kind": "Pod", "name": "crasher"},
		}},
		"ns-b": {{
			"apiVersion": "v1", "kind": "Event",
			"metadata": map[string]any{"name": "e2", "namespace": "ns-b", "creationTimestamp": "2026-11-26T10:00:01Z"},
			"type":     "Normal", "reason": "Scheduled",
			"eventTime":      "2026-11-26T10:00:01.000000Z",
			"message":        "Successfully assigned",
			"involvedObject": map[string]any{"kind": "Pod", "name": "web"},
		}},
	}
	for ns, items := range events {
		l, err := sink.CreateList("namespaces/"+ns+"/core/events.yaml", "EventList")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range items {
			if err := l.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteEventFilter(sink); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(sink.Root(), eventFilterFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{"2 events", "Pod/crasher", "BackOff", "Pod/web", "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("an event message was not escaped")
	}
	if strings.Index(page, "Pod/web") > strings.Index(page, "Pod/crasher") {
		t.Error("events are not in time order")
	}
	for _, external := range []string{"http://", "https://", "src=", "<link"} {
		if strings.Contains(page, external) {
			t.Errorf("page refers outside itself (%q)", external)
		}
	}
}
