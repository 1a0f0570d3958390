package analyze

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
)

// TestPage checks that the page holds every finding and every failure, and
// refers to nothing outside the bundle.
func TestPage(t *testing.T) {
	t.Parallel()
	fsys := bundle(t)
	r, err := Analyze(context.Background(), fsys, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	written := map[string][]byte{}
	if _, err := Write(context.Background(), fsys, func(name string, b []byte) error { written[name] = b; return nil }, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	page := string(written[PageFile])
	if len(written[JSONFile]) == 0 || page == "" {
		t.Fatalf("written: %d bytes of %s, %d of %s", len(written[JSONFile]), JSONFile, len(page), PageFile)
	}
	text := html.UnescapeString(page)
	for _, f := range r.Findings {
		if !strings.Contains(text, f.Title) {
			t.Errorf("the page lacks the finding %q", f.Title)
		}
		for _, file := range f.Files {
			if !strings.Contains(page, `href="./`+file+`"`) {
				t.Errorf("the page does not link to %s", file)
			}
		}
	}
	for _, want := range []string{"no node reachable", r.Errors[0], "inspect --cluster", "1 of 2 ready"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Nothing is loaded: no src attribute, no link element, no URL with a
	// scheme in an attribute.
	for _, re := range []string{`(?i)\ssrc=`, `(?i)<link\b`, `(?i)(href|src|action)="[a-z][a-z0-9+.-]*:`, `(?i)url\(`, `(?i)@import`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the page refers outside itself: %q matches %s", m, re)
		}
	}
}

// TestPageCapsRows checks that a bundle with more findings than the page
// shows stays small and says where the rest are.
func TestPageCapsRows(t *testing.T) {
	t.Parallel()
	r := &Report{AsOf: now, Counts: map[string]int{}}
	for i := range maxPageFindings + 250 {
		r.Findings = append(r.Findings, Finding{Severity: Warning, Check: "pod-crashloop", Title: "pod " + strings.Repeat("x", i%7), Objects: []Object{}, Files: []string{"f.yaml"}})
	}
	page, err := r.Page(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(page), `data-check="pod-crashloop"`); got != maxPageFindings {
		t.Errorf("rows: want %d, got %d", maxPageFindings, got)
	}
	if !strings.Contains(string(page), "250 more findings are in") {
		t.Errorf("the page does not say that 250 findings are left out")
	}
}

func TestSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s, min Severity
		want   bool
	}{
		{Critical, Warning, true}, {Warning, Warning, true}, {Info, Warning, false},
		{Warning, Critical, false}, {Critical, Critical, true},
	}
	for _, tt := range tests {
		if got := tt.s.AtLeast(tt.min); got != tt.want {
			t.Errorf("%s.AtLeast(%s) = %v, want %v", tt.s, tt.min, got, tt.want)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity(fatal): want an error")
	}
}
