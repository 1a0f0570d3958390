package inspect

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path/filepath"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/output"
)

// eventRow is one event of event-filter.html.
type eventRow struct {
	Time      string
	Namespace string
	Type      string
	Reason    string
	Object    string
	Count     int
	Message   string
}

type eventList struct {
	Items []struct {
		Metadata struct {
			Namespace         string `json:"namespace"`
			CreationTimestamp string `json:"creationTimestamp"`
		} `json:"metadata"`
		Type           string `json:"type"`
		Reason         string `json:"reason"`
		Message        string `json:"message"`
		Count          int    `json:"count"`
		LastTimestamp  string `json:"lastTimestamp"`
		EventTime      string `json:"eventTime"`
		InvolvedObject struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"involvedObject"`
		Series *struct {
			Count            int    `json:"count"`
			LastObservedTime string `json:"lastObservedTime"`
		} `json:"series"`
	} `json:"items"`
}

// WriteEventFilter writes event-filter.html from every
// namespaces/*/core/events.yaml of the destination. Unlike the page of `oc
// adm inspect`, it is self-contained: its rows are in the page and its
// filter script and styles are inline, so it works on an offline laptop,
// and without JavaScript it is still a plain table.
func WriteEventFilter(sink *output.Sink) error { return WriteEventFilterOf(sink, EventsGlob) }

// EventsGlob matches the events files of an inspect result.
const EventsGlob = "namespaces/*/core/events.yaml"

// WriteEventFilterOf writes event-filter.html from the events files of the
// sink that match glob (a client's destination holds a result per image:
// "*/" + EventsGlob).
func WriteEventFilterOf(sink *output.Sink, glob string) error {
	fsys := sink.FS()
	files, err := fs.Glob(fsys, glob)
	if err != nil {
		return err
	}
	var rows []eventRow
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return fmt.Errorf("event-filter.html: %w", err)
		}
		var l eventList
		if err := yaml.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("event-filter.html: reading %s: %w", filepath.Join(sink.Root(), f), err)
		}
		for _, e := range l.Items {
			t := firstNonEmpty(e.LastTimestamp, e.EventTime, e.Metadata.CreationTimestamp)
			count := e.Count
			if e.Series != nil {
				count = e.Series.Count
				t = firstNonEmpty(e.Series.LastObservedTime, t)
			}
			if count == 0 {
				count = 1
			}
			rows = append(rows, eventRow{Time: t, Namespace: e.Metadata.Namespace, Type: e.Type, Reason: e.Reason,
				Object: e.InvolvedObject.Kind + "/" + e.InvolvedObject.Name, Count: count, Message: e.Message})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Time < rows[j].Time })
	var buf bytes.Buffer
	if err := eventFilterPage.Execute(&buf, rows); err != nil {
		return fmt.Errorf("event-filter.html: %w", err)
	}
	return sink.WriteFile(eventFilterFile, buf.Bytes())
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

var eventFilterPage = template.Must(template.New("events").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Events</title>
<style>
body { font-family: sans-serif; font-size: 13px; margin: 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; position: sticky; top: 0; }
tr.Warning td { background: #fff3e0; }
input, select { width: 100%; box-sizing: border-box; }
td.msg { white-space: pre-wrap; word-break: break-word; }
#count { margin: .5em 0; }
</style>
</head>
<body>
<h1>Events</h1>
<div id="count">{{len .}} events</div>
<table id="events">
<thead>
<tr><th>Time</th><th>Namespace</th><th>Type</th><th>Reason</th><th>Object</th><th>Count</th><th>Message</th></tr>
<tr class="filters">
<td><input data-col="0" placeholder="filter"></td>
<td><input data-col="1" placeholder="filter"></td>
<td><select data-col="2"><option value="">all</option><option>Normal</option><option>Warning</option></select></td>
<td><input data-col="3" placeholder="filter"></td>
<td><input data-col="4" placeholder="filter"></td>
<td></td>
<td><input data-col="6" placeholder="filter"></td>
</tr>
</thead>
<tbody>
{{range .}}<tr class="{{.Type}}"><td>{{.Time}}</td><td>{{.Namespace}}</td><td>{{.Type}}</td><td>{{.Reason}}</td><td>{{.Object}}</td><td>{{.Count}}</td><td class="msg">{{.Message}}</td></tr>
{{end}}</tbody>
</table>
<script>
(function () {
  var filters = document.querySelectorAll("tr.filters [data-col]");
  var rows = document.querySelectorAll("#events tbody tr");
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = true;
      filters.forEach(function (f) {
        var v = f.value.toLowerCase();
        if (v && row.cells[f.dataset.col].textContent.toLowerCase().indexOf(v) < 0) { ok = false; }
      });
      row.style.display = ok ? "" : "none";
      if (ok) { shown++; }
    });
    document.getElementById("count").textContent = shown + " of " + rows.length + " events";
  }
  filters.forEach(function (f) { f.addEventListener("input", apply); });
})();
</script>
</body>
</html>
`))
