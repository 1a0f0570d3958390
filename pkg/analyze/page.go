package analyze

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"path"
	"strings"
	"time"

	"github.com/must-gather/toolkit/pkg/output"
)

//go:embed page.html.tmpl
var pageTemplate string

// maxPageFindings bounds the rows of the page: a cluster with thousands of
// failing pods still gives a page that opens at once; analysis.json has
// them all.
const maxPageFindings = 1000

// pageData is what the template reads.
type pageData struct {
	Report   *Report
	Findings []Finding
	Hidden   int
	Failures []failure
	Links    []string // files of the run's record present at the root
}

// failure is one thing that went wrong while gathering or reading.
type failure struct {
	Bundle, What, Error string
	File                string
}

// Page renders index.html: one self-contained file (inline styles and a
// small inline script, nothing loaded from anywhere) whose links point into
// the bundle with paths relative to its root. present says which of the
// root's files exist, for the links to them.
func (r *Report) Page(present func(name string) bool) ([]byte, error) {
	t, err := template.New("page").Funcs(template.FuncMap{
		"upper": func(s Severity) string { return strings.ToUpper(string(s)) },
		"seconds": func(f float64) string {
			return (time.Duration(f * float64(time.Second))).Round(100 * time.Millisecond).String()
		},
		"size":     output.HumanBytes,
		"join":     path.Join,
		"time":     func(t *time.Time) string { return fmtTime(t) },
		"objects":  objectList,
		"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"nonempty": func(s []string) bool { return len(s) > 0 },
	}).Parse(pageTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing the page template: %w", err)
	}
	d := pageData{Report: r, Findings: r.Findings}
	if len(d.Findings) > maxPageFindings {
		d.Findings, d.Hidden = d.Findings[:maxPageFindings], len(d.Findings)-maxPageFindings
	}
	for _, b := range r.Bundles {
		for _, s := range b.Steps {
			if s.Status != "ok" {
				d.Failures = append(d.Failures, failure{Bundle: b.Path, What: fmt.Sprintf("step %s %s (%s)", s.Name, s.Status, s.Command), Error: s.Error, File: path.Join(b.Path, "gather-manifest.json")})
			}
		}
		if b.StopReason != "" {
			d.Failures = append(d.Failures, failure{Bundle: b.Path, What: "the run stopped early", Error: b.StopReason, File: path.Join(b.Path, "gather-manifest.json")})
		}
	}
	for _, e := range r.Errors {
		d.Failures = append(d.Failures, failure{What: "not read by the analysis", Error: e})
	}
	for _, name := range []string{JSONFile, "event-filter.html", "gather-manifest.json", "gather-run.log", "must-gather.logs", "timestamp", "version"} {
		if name == JSONFile || (present != nil && present(name)) {
			d.Links = append(d.Links, name)
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("rendering the page: %w", err)
	}
	return buf.Bytes(), nil
}

func objectList(objs []Object) string {
	s := make([]string, len(objs))
	for i, o := range objs {
		s[i] = o.String()
	}
	return strings.Join(s, ", ")
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 MST")
}
