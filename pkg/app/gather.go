package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	toolkit "github.com/must-gather/toolkit"
	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/cluster"
	"github.com/must-gather/toolkit/pkg/leakscan"
	"github.com/must-gather/toolkit/pkg/output"
	"github.com/must-gather/toolkit/pkg/since"
	"github.com/must-gather/toolkit/pkg/steps"
	"github.com/must-gather/toolkit/pkg/version"
)

// InstalledGatherDir is where the image installs its gather.d folder.
const InstalledGatherDir = "/usr/share/gather/gather.d"

// leakScanParallel is how many files the final leak scan reads at once.
const leakScanParallel = 2

// DefaultTimeout bounds a whole run. `oc adm must-gather` gives the gather
// container 10 minutes by default and then still has to copy the result
// out; 8 minutes leaves that margin.
const DefaultTimeout = 8 * time.Minute

// gatherOptions are the options of the default gathering.
type gatherOptions struct {
	streams cli.IOStreams
	cluster cluster.Flags
	since   since.Flags

	destDir          string
	gatherDir        string
	timeout          time.Duration
	volumePercentage int
	verbosity        int
	archiveFile      string   // --archive-file: the result also as a .tar.gz
	maxPartSize      cli.Size // --max-part-size of that archive
	limits           cli.Limits

	// derived by complete
	window     since.Window
	folders    []steps.Folder
	product    version.Info // what the version file names
	stepsFrom  string       // where the steps came from, for the manifest
	registry   builtin.Registry
	getenv     func(string) string
	timeoutSet bool // --timeout was given
}

func newGatherOptions(streams cli.IOStreams) *gatherOptions {
	return &gatherOptions{streams: streams, getenv: os.Getenv, registry: Builtins()}
}

func (o *gatherOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.destDir, "dest-dir", "/must-gather", "directory to write the gathered data into")
	fs.StringVar(&o.gatherDir, "gather-dir", "", "folder of gather.d steps, or several separated by \":\" (default: $GATHER_DIR, "+InstalledGatherDir+", or the built-in copy)")
	fs.DurationVar(&o.timeout, "timeout", DefaultTimeout, "time limit of the whole run; each step gets an equal share of what is left unless its line says otherwise (default: $MUST_GATHER_TIMEOUT, else 8m)")
	o.since.AddFlags(fs)
	fs.IntVar(&o.volumePercentage, "volume-percentage", 70, "stop writing new data once the destination's filesystem is used above this percentage (100: never)")
	fs.StringVar(&o.archiveFile, "archive-file", "", "also write the result as this .tar.gz (outside --dest-dir), or as its numbered parts FILE.part-001.tar.gz, ... when larger than --max-part-size")
	o.limits.AddFlags(fs)
	o.maxPartSize = cli.Size{Bytes: 1 << 30}
	fs.Var(&o.maxPartSize, "max-part-size", "with --archive-file: an archive larger than this is written as numbered parts that each open on their own (a Kubernetes quantity)")
	fs.IntVarP(&o.verbosity, "v", "v", 0, "log level of the Kubernetes client libraries (above 6, client-go still logs no request or response bodies or headers: they hold secrets)")
}

// complete derives what the flags leave open, from the environment.
func (o *gatherOptions) complete() error {
	w, err := o.since.Resolve(o.getenv, time.Now())
	if err != nil {
		return err
	}
	o.window = w
	if err := o.limits.Resolve(o.getenv); err != nil {
		return err
	}
	// The client (kubectl-must_gather) hands the gather its share of the
	// run's time; --timeout wins.
	if v := o.getenv("MUST_GATHER_TIMEOUT"); v != "" && !o.timeoutSet {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cli.Usagef("$MUST_GATHER_TIMEOUT %q is not a positive duration like 8m", v)
		}
		o.timeout = d
	}

	if o.product, err = version.Product(o.getenv); err != nil {
		return cli.UsageError{Err: err}
	}

	dirs, from := o.gatherDir, "--gather-dir"
	if dirs == "" {
		dirs, from = o.getenv("GATHER_DIR"), "$GATHER_DIR"
	}
	if dirs == "" {
		if fi, err := os.Stat(InstalledGatherDir); err == nil && fi.IsDir() {
			dirs, from = InstalledGatherDir, "installed"
		}
	}
	if dirs == "" {
		sub, err := fs.Sub(toolkit.GatherD, "gather.d")
		if err != nil {
			return err
		}
		o.folders, o.stepsFrom = []steps.Folder{{FS: sub, Name: "built-in"}}, "built-in"
		return nil
	}
	// Several folders, separated by ":" as in $PATH, run one after the
	// other: an image built on ours adds its steps after ours or replaces
	// them.
	o.folders = nil
	for _, dir := range strings.Split(dirs, ":") {
		if dir == "" {
			return cli.Usagef("gather.d folders %q (%s): an empty folder name", dirs, from)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return cli.Usagef("gather.d folder %s (%s) is not a readable directory", dir, from)
		}
		o.folders = append(o.folders, steps.Folder{FS: os.DirFS(dir), Name: dir, Exec: steps.ExecutableIn(dir)})
	}
	o.stepsFrom = from + " " + dirs
	return nil
}

func (o *gatherOptions) validate() error {
	var errs []error
	if o.destDir == "" {
		errs = append(errs, cli.Usagef("--dest-dir must not be empty"))
	} else if fi, err := os.Stat(o.destDir); err == nil && !fi.IsDir() {
		errs = append(errs, cli.Usagef("--dest-dir %s is not a directory", o.destDir))
	}
	if o.timeout <= 0 {
		errs = append(errs, cli.Usagef("--timeout must be positive"))
	}
	if o.volumePercentage < 1 || o.volumePercentage > 100 {
		errs = append(errs, cli.Usagef("--volume-percentage must be between 1 and 100"))
	}
	errs = append(errs, o.validateArchive()...)
	if len(errs) > 0 {
		return cli.UsageError{Err: errors.Join(errs...)}
	}
	return nil
}

// manifestOptions is what the manifest records of the options.
type manifestOptions struct {
	// Product and ProductVersion are what the version file says: ours, or
	// those of the image built on ours.
	Product          string    `json:"product"`
	ProductVersion   string    `json:"productVersion"`
	DestDir          string    `json:"destDir"`
	GatherDir        string    `json:"gatherDir"`
	Timeout          string    `json:"timeout"`
	Since            string    `json:"since,omitempty"`
	SinceTime        time.Time `json:"sinceTime,omitzero"`
	VolumePercentage int       `json:"volumePercentage"`
	MaxSize          int64     `json:"maxSize"`
	MaxLogSize       int64     `json:"maxLogSize"`
	Cluster          string    `json:"cluster,omitempty"`
	ServerVersion    string    `json:"serverVersion,omitempty"`
	ClusterError     string    `json:"clusterError,omitempty"`
}

func (o *gatherOptions) run(ctx context.Context) error {
	start := time.Now()
	// Every Secret value the rules elide is looked for once more in every
	// file before the run ends.
	scanner := leakscan.New()
	sink, err := output.New(o.destDir, output.Options{VolumePercentage: o.volumePercentage, Recorder: scanner,
		MaxSize: o.limits.MaxSize.Bytes, MaxLogSize: o.limits.MaxLogSize.Bytes})
	if err != nil {
		return err
	}
	defer klogTo(sink, o.verbosity, o.streams.ErrOut)()
	if o.verbosity > maxClientVerbosity {
		fmt.Fprintf(o.streams.ErrOut, "-v %d: client-go logs no request or response bodies or headers (its files %s stay at level %d: they would log Secrets)\n", o.verbosity, clientBodyFiles, maxClientVerbosity)
	}
	// The version file comes first: whatever happens next, the result says
	// which tool made it.
	var vf bytes.Buffer
	if err := o.product.WriteVersionFile(&vf); err != nil {
		return err
	}
	if err := sink.WriteMeta("version", vf.Bytes()); err != nil {
		return fmt.Errorf("writing the version file: %w", err)
	}
	if err := sink.WriteMeta("timestamp", []byte(timestampLine(start))); err != nil {
		return err
	}

	access := cluster.NewAccess(o.cluster.RESTConfig)
	mo := manifestOptions{Product: o.product.Product, ProductVersion: o.product.Version, DestDir: o.destDir, GatherDir: o.stepsFrom, Timeout: o.timeout.String(), VolumePercentage: o.volumePercentage, SinceTime: o.window.From,
		MaxSize: o.limits.MaxSize.Bytes, MaxLogSize: o.limits.MaxLogSize.Bytes}
	if o.window.Since > 0 {
		mo.Since = o.window.Since.String()
	}
	if cfg, err := access.Config(); err != nil {
		mo.ClusterError = err.Error()
		fmt.Fprintf(o.streams.ErrOut, "warning: %v\n", err)
	} else {
		mo.Cluster = cfg.Host
		vctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		info, err := cluster.ServerVersion(vctx, cfg)
		cancel()
		if err != nil {
			mo.ClusterError = err.Error()
			fmt.Fprintf(o.streams.ErrOut, "warning: %v\n", err)
		} else {
			mo.ServerVersion = info.GitVersion
			fmt.Fprintf(o.streams.ErrOut, "gathering from %s (Kubernetes %s) into %s\n", cfg.Host, info.GitVersion, o.destDir)
		}
	}

	vars := steps.Vars{}
	for _, name := range steps.AllowedVars {
		vars[name] = o.getenv(name)
	}
	programEnv := []string{"BASE_COLLECTION_PATH=" + o.destDir}
	if self, err := os.Executable(); err == nil {
		programEnv = append(programEnv, "GATHER_BIN="+self)
	}
	// Steps see the window this run resolved, not the variables as given.
	vars[since.EnvSince], vars[since.EnvSinceTime] = "", o.window.SinceTime
	if o.window.Since > 0 {
		vars[since.EnvSince] = o.window.Since.String()
	}
	programEnv = append(programEnv, o.window.Env()...)
	// A step program that runs a built-in alone ($GATHER_BIN inspect ...)
	// gets the limits this run resolved.
	programEnv = append(programEnv, cli.EnvMaxSize+"="+o.limits.MaxSize.String(), cli.EnvMaxLogSize+"="+o.limits.MaxLogSize.String())
	env := processEnv(o.getenv)
	env.Cluster, env.Since = access, o.window.From
	list, warnings, err := steps.LoadFolders(o.folders, vars)
	if err != nil {
		return fmt.Errorf("reading gather.d (%s): %w", o.stepsFrom, err)
	}
	m, err := steps.Run(ctx, sink, list, steps.Options{
		Registry:   o.registry,
		Env:        env,
		Timeout:    o.timeout,
		Progress:   o.streams.ErrOut,
		Options:    mo,
		Warnings:   warnings,
		ProgramEnv: programEnv,
		LeakScan: func(ctx context.Context, root string) ([]leakscan.Leak, error) {
			return scanner.ScanTree(ctx, root, leakScanParallel)
		},
	})
	writeAnalysis(ctx, sink, m, o.streams.ErrOut)
	end := time.Now()
	if terr := sink.WriteMeta("timestamp", []byte(timestampLine(start)+timestampLine(end))); terr != nil {
		err = errors.Join(err, terr)
	}
	if err != nil {
		return fmt.Errorf("recording the run: %w", err)
	}
	fmt.Fprintf(o.streams.ErrOut, "result in %s\n", o.destDir)
	if o.archiveFile != "" {
		// After Ctrl-C too (the record is written); a second one stops it.
		if aerr := o.archive(cli.Abort(ctx)); aerr != nil {
			return cli.PartialError{Err: errors.Join(aerr, outcome(m, mo.ClusterError))}
		}
	}
	fmt.Fprintln(o.streams.Out, o.destDir)
	return outcome(m, mo.ClusterError)
}

// outcome turns the manifest into the command's error (and exit code).
func outcome(m *steps.Manifest, clusterErr string) error {
	ok := 0
	for _, s := range m.Steps {
		if s.Status == steps.StatusOK {
			ok++
		}
	}
	if ok == 0 && clusterErr != "" {
		return errors.New(clusterErr)
	}
	var firstBad *steps.StepRecord
	bad := 0
	for i := range m.Steps {
		if m.Steps[i].Status != steps.StatusOK {
			bad++
			if firstBad == nil {
				firstBad = &m.Steps[i]
			}
		}
	}
	switch m.Status {
	case steps.RunOK:
		return nil
	case steps.RunFailed:
		return fmt.Errorf("nothing gathered: %s %s: %s", firstBad.Name, firstBad.Status, firstBad.Error)
	default:
		return cli.PartialError{Err: fmt.Errorf("%d of %d steps did not succeed, first %s %s: %s (see %s)",
			bad, len(m.Steps), firstBad.Name, firstBad.Status, firstBad.Error, steps.ManifestFile)}
	}
}

// timestampLine is one line of the timestamp file, in the format of `oc adm
// inspect` (Go's time.String, without the monotonic clock reading).
func timestampLine(t time.Time) string { return t.Round(0).String() + "\n" }
