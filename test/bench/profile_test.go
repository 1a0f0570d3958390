package bench

import (
	"strings"
	"testing"
)

// The profiles are the sizes issue 13 asks for.
func TestProfilesAreTheIssuesSizes(t *testing.T) {
	t.Parallel()
	get := func(name string) Profile {
		p, err := LookupProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		return p
	}
	small, large, scale := get("small"), get("large"), get("scale")
	if got := small.Objects(); got != 3800 || small.Namespaces != 100 || small.ConfigMaps != 2000 || small.ConfigMapBytes != 1024 ||
		small.Secrets != 1000 || small.Services != 200 || small.Deployments != 500 || small.Pods != 0 || small.SimulatedNodes != 0 {
		t.Errorf("small = %+v (%d objects), want 100 namespaces, 2000 configmaps of 1 KiB, 1000 secrets, 200 services, 500 deployments: 3800 objects", small, got)
	}
	if large.Namespaces < 100 || large.Objects() < 10000 || large.Pods < 200 || large.LogBytes < 1<<20 || large.RestartedPods == 0 {
		t.Errorf("large = %+v (%d objects), want >= 100 namespaces, >= 10000 objects, >= 200 pods with >= 1 MiB of log, some restarted", large, large.Objects())
	}
	if scale.Objects() < 10*large.Objects() || scale.SimulatedNodes < 500 {
		t.Errorf("scale has %d objects and %d simulated nodes, want >= 10x large's %d and >= 500", scale.Objects(), scale.SimulatedNodes, large.Objects())
	}
	if _, err := LookupProfile("huge"); err == nil || !strings.Contains(err.Error(), "small, large, scale") {
		t.Errorf("LookupProfile(huge) = %v, want an error naming the profiles", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       Profile
		wantErr []string
	}{
		{name: "fine", p: Profile{Namespaces: 3, Pods: 2, RestartedPods: 1}},
		{name: "no namespace", p: Profile{}, wantErr: []string{"at least one namespace"}},
		{name: "all at once", p: Profile{Namespaces: 1, Secrets: -1, Pods: 1, RestartedPods: 2, SimulatedPods: 1},
			wantErr: []string{"secrets must not be negative", "more restarted pods than pods", "simulated pods need simulated nodes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Validate()
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("Validate() = %v, want errors %q", err, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to say %q", err, w)
				}
			}
		})
	}
}

func TestShareAndRestartedSpreadEvenly(t *testing.T) {
	t.Parallel()
	tests := []struct{ total, n, pods, restarted int }{
		{2000, 100, 200, 50}, {7, 3, 5, 5}, {2, 5, 3, 0}, {0, 4, 0, 0},
	}
	for _, tt := range tests {
		sum, lo, hi := 0, tt.total, 0
		for i := range tt.n {
			s := Share(tt.total, tt.n, i)
			sum += s
			lo, hi = min(lo, s), max(hi, s)
		}
		if sum != tt.total || hi-lo > 1 {
			t.Errorf("Share(%d, %d, i) sums to %d with parts %d..%d, want %d in parts one apart", tt.total, tt.n, sum, lo, hi, tt.total)
		}
		restarted := 0
		for g := range tt.pods {
			if Restarted(g, tt.restarted, tt.pods) {
				restarted++
			}
		}
		if restarted != tt.restarted {
			t.Errorf("Restarted(g, %d, %d) is true for %d pods", tt.restarted, tt.pods, restarted)
		}
	}
}
