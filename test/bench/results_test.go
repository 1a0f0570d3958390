package bench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runs(walls ...float64) []Run {
	var out []Run
	for _, w := range walls {
		out = append(out, Run{WallSeconds: w, CPUSeconds: w / 2, MaxRSSBytes: int64(w * (1 << 20)), Gathered: Gathered{Objects: 100, Logs: 10, Bytes: 1e6}})
	}
	return out
}

func TestSpread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		walls []float64
		want  Spread
	}{
		{[]float64{3, 1, 2}, Spread{Median: 2, Min: 1, Max: 3}},
		{[]float64{4, 1, 2, 3}, Spread{Median: 2.5, Min: 1, Max: 4}},
		{nil, Spread{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Tool{Runs: runs(tt.walls...)}.Wall()); diff != "" {
			t.Errorf("Wall of %v (-want +got):\n%s", tt.walls, diff)
		}
	}
}

func TestCheckTargets(t *testing.T) {
	t.Parallel()
	small, _ := LookupProfile("small")
	scale, _ := LookupProfile("scale")
	kubectl := runs(40, 42, 41)
	for i := range kubectl {
		kubectl[i].Objects = 50
	}
	tests := []struct {
		name    string
		r       Results
		want    map[string]string // target name -> met
		wantGot map[string]string // target name -> got
	}{
		{
			name: "small, all measured",
			r: Results{Profile: small, Tools: []Tool{
				{Name: ToolFloor, Runs: runs(5, 6, 5.5)},
				{Name: ToolInspect, Runs: runs(10, 12, 11)},
				{Name: ToolGather, Runs: runs(20, 20, 20)},
				{Name: ToolClient, Runs: runs(27, 26, 28)},
				{Name: ToolKubectl, Runs: kubectl},
			}, Compression: []Compression{{Name: "gzip/klauspost", MBps: 200, Ratio: 11.5}, {Name: "gzip/stdlib", MBps: 80, Ratio: 12.5}}},
			want: map[string]string{
				"inspect wall vs floor":                    "yes", // 11 / 5.5 = 2.0
				"inspect vs kubectl cluster-info dump":     "yes", // 41 / 11 = 3.7, 100 > 50 objects
				"inspect peak RSS":                         "yes", // 11 MiB
				"compression (klauspost vs compress/gzip)": "yes",
				"client end to end over the gather":        "no", // +7 s
			},
			wantGot: map[string]string{"inspect wall vs floor": "2.00x", "client end to end over the gather": "+7.0 s"},
		},
		{
			name: "scale without large's result, nothing but inspect",
			r:    Results{Profile: scale, Tools: []Tool{{Name: ToolInspect, Runs: runs(100)}}},
			want: map[string]string{
				"inspect vs kubectl cluster-info dump":     "n/a",
				"inspect peak RSS vs large":                "n/a",
				"compression (klauspost vs compress/gzip)": "n/a",
				"client end to end over the gather":        "n/a",
			},
		},
		{
			name: "scale against large",
			r:    Results{Profile: scale, LargeMaxRSSMiB: 50, Tools: []Tool{{Name: ToolInspect, Runs: runs(100)}}},
			want: map[string]string{
				"inspect vs kubectl cluster-info dump":     "n/a",
				"inspect peak RSS vs large":                "no", // 100 MiB vs 50
				"compression (klauspost vs compress/gzip)": "n/a",
				"client end to end over the gather":        "n/a",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.r.CheckTargets()
			got, gotText := map[string]string{}, map[string]string{}
			for _, target := range tt.r.Targets {
				got[target.Name] = target.Met
				gotText[target.Name] = target.Got
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets met (-want +got):\n%s", diff)
			}
			for name, want := range tt.wantGot {
				if gotText[name] != want {
					t.Errorf("%s: got %q, want %q", name, gotText[name], want)
				}
			}
		})
	}
}

func TestParseCompression(t *testing.T) {
	t.Parallel()
	out := `goos: linux
BenchmarkAuditCompression/gzip/klauspost-2         	       5	  42437714 ns/op	 197.70 MB/s	        11.43 ratio
BenchmarkAuditCompression/gzip/klauspost-2         	       5	  54687955 ns/op	 153.41 MB/s	        11.43 ratio
BenchmarkAuditCompression/gzip/klauspost-2         	       5	  54687955 ns/op	 160.00 MB/s	        11.43 ratio
BenchmarkAuditCompression/gzip/stdlib-2            	       5	 119450993 ns/op	  70.24 MB/s	        12.50 ratio
PASS
`
	got, err := ParseCompression(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Compression{{Name: "gzip/klauspost", MBps: 160, Ratio: 11.43, Counts: 3}, {Name: "gzip/stdlib", MBps: 70.24, Ratio: 12.5, Counts: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseCompression (-want +got):\n%s", diff)
	}
	if _, err := ParseCompression(strings.NewReader("FAIL\n")); err == nil {
		t.Error("no error for output without benchmark lines")
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	small, _ := LookupProfile("small")
	r := Results{Profile: small, Tools: []Tool{
		{Name: ToolInspect, Runs: runs(10, 12, 11)},
		{Name: ToolClient, Note: "client process only", Runs: []Run{{WallSeconds: 9, ExitCode: 3}}},
		{Name: ToolFloor, Runs: runs(5, 6, 5.5)},
	}}
	r.CheckTargets()
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	table := b.String()
	for _, want := range []string{
		"Profile `small`: 100 gathered namespaces, 3800 objects loaded",
		"| inspect | 11.0 (10.0-12.0) | 2.00 | 5.5 (5.0-6.0) | 2.00 | 11 (10-12) | 2.00 | 1.0 | 100 | 10 | 0 |",
		"| client (client process only) | 9.0 | 1.64 |",
		"| 1 |\n", // the client's failed run
		"| inspect wall vs floor | <= 2.0x | 2.00x | yes |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
