package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/analyze"
	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/steps"
)

// analyzeTimeout bounds the analysis at the end of a gather run: it reads
// local files only, and the run's record must still be finished.
const analyzeTimeout = 2 * time.Minute

// analyzeOptions are the options of `gather analyze`.
type analyzeOptions struct {
	streams cli.IOStreams
	dir     string
	output  string
	page    string
	failOn  string

	failAt analyze.Severity // derived from failOn
}

func newAnalyzeCommand(streams cli.IOStreams) *cobra.Command {
	o := &analyzeOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "analyze DIR|ARCHIVE",
		Short: "Report what is wrong in a gathered bundle (findings as text, analysis.json and index.html)",
		Long: `analyze reads a bundle (ours, or any in the layout of oc adm must-gather)
and prints its findings, most serious first; it writes them as JSON to
DIR/analysis.json (--output) and the overview page DIR/index.html (--page).

The bundle is a folder, a .tar.gz archive or the first part of a split
archive (NAME.part-001.tar.gz, its parts read in order); an archive is
unpacked into a temporary folder, and the files go beside it by default:
NAME.analysis.json and NAME.index.html.

Findings do not change the exit code (0 when the bundle was read); with
--fail-on warning|critical, a finding at least that serious exits 5.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("analyze takes one folder or archive, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = args[0]
			o.complete()
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.output, "output", "", "where to write the findings as JSON (default DIR/"+analyze.JSONFile+"; - for stdout instead of the text)")
	cmd.Flags().StringVar(&o.page, "page", "", "where to write the overview page (default DIR/"+analyze.PageFile+")")
	cmd.Flags().StringVar(&o.failOn, "fail-on", "", "exit 5 when a finding is at least this serious: warning or critical")
	return cmd
}

func (o *analyzeOptions) complete() {
	beside := func(name string) string { return filepath.Join(o.dir, name) }
	if fi, err := os.Stat(o.dir); err == nil && !fi.IsDir() {
		// An archive: the files go beside it, named after it.
		base := bundle.BaseName(o.dir)
		beside = func(name string) string { return base + "." + name }
	}
	if o.output == "" {
		o.output = beside(analyze.JSONFile)
	}
	if o.page == "" {
		o.page = beside(analyze.PageFile)
	}
}

func (o *analyzeOptions) validate() error {
	var errs []error
	if _, err := os.Stat(o.dir); err != nil {
		errs = append(errs, cli.Usagef("%s is not a readable folder or archive", o.dir))
	}
	switch o.failOn {
	case "":
	case string(analyze.Warning), string(analyze.Critical):
		o.failAt = analyze.Severity(o.failOn)
	default:
		errs = append(errs, cli.Usagef("--fail-on %q: want warning or critical", o.failOn))
	}
	if len(errs) > 0 {
		return cli.UsageError{Err: errors.Join(errs...)}
	}
	return nil
}

func (o *analyzeOptions) run(ctx context.Context) error {
	write := func(name string, data []byte) error {
		switch {
		case name == analyze.JSONFile && o.output == "-":
			_, err := o.streams.Out.Write(data)
			return err
		case name == analyze.JSONFile:
			return writeFileAtomic(o.output, data)
		default:
			return writeFileAtomic(o.page, data)
		}
	}
	b, err := bundle.Open(ctx, o.dir, "")
	if err != nil {
		return err
	}
	defer func() { _ = b.Close() }()
	for _, skipped := range b.Skipped {
		fmt.Fprintf(o.streams.ErrOut, "warning: %v\n", skipped)
	}
	r, err := analyze.Write(ctx, b, write, analyze.Options{})
	if r == nil {
		return err
	}
	if o.output != "-" {
		if terr := r.WriteText(o.streams.Out); terr != nil {
			err = errors.Join(err, terr)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.streams.ErrOut, "wrote %s and %s\n", o.output, o.page)
	if o.failAt != "" {
		if worst := r.Worst(); worst != "" && worst.AtLeast(o.failAt) {
			return cli.FindingsError{Err: fmt.Errorf("findings at or above %s: %d critical, %d warning", o.failAt, r.Counts[string(analyze.Critical)], r.Counts[string(analyze.Warning)])}
		}
	}
	return nil
}

// writeFileAtomic writes a file of the analysis: a temporary file renamed
// into place, 0640.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o640)); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// writeAnalysis analyses the result of a gather run once its manifest is
// final and writes analysis.json and index.html at its root. What fails
// here is a warning on stderr and in the run log: the data is gathered.
func writeAnalysis(ctx context.Context, sink *output.Sink, m *steps.Manifest, errOut io.Writer) {
	if m == nil || sink.Root() == "" {
		return
	}
	// It reads local files only, so it runs after an interrupt too, as the
	// leak scan does; within its own bound.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), analyzeTimeout)
	defer cancel()
	start := time.Now()
	r, err := analyze.Write(actx, sink.FS(), sink.WriteMeta, analyze.Options{Manifests: map[string]*steps.Manifest{".": m}})
	line := ""
	switch {
	case err != nil:
		line = fmt.Sprintf("warning: analyze: %v", err)
	default:
		line = fmt.Sprintf("analyze: %d critical, %d warning, %d info findings in %s (%s, %s)", r.Counts[string(analyze.Critical)],
			r.Counts[string(analyze.Warning)], r.Counts[string(analyze.Info)], time.Since(start).Round(time.Millisecond), analyze.JSONFile, analyze.PageFile)
	}
	fmt.Fprintln(errOut, line)
	if log, lerr := sink.AppendMeta(steps.RunLogFile); lerr == nil {
		_, werr := fmt.Fprintln(log, line)
		if cerr := errors.Join(werr, log.Close()); cerr != nil {
			fmt.Fprintf(errOut, "warning: recording the analysis in %s: %v\n", steps.RunLogFile, cerr)
		}
	} else {
		fmt.Fprintf(errOut, "warning: recording the analysis in %s: %v\n", steps.RunLogFile, lerr)
	}
}
