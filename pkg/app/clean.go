package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/clean"
	"github.com/must-gather/toolkit/pkg/cli"
)

// The files written beside the cleaned folder OUT.
const (
	mappingSuffix = ".mapping.json"
	reportSuffix  = ".clean-report.json"
)

// cleanOptions are the options of `gather clean`.
type cleanOptions struct {
	streams cli.IOStreams
	input   string
	out     string
	mapping string
	domains []string

	report  string // derived: beside out
	archive bool   // derived: out names a .tar.gz archive
}

func newCleanCommand(streams cli.IOStreams) *cobra.Command {
	o := &cleanOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "clean DIR|ARCHIVE --out OUT|OUT.tar.gz",
		Short: "Obfuscate addresses and names in a gathered bundle before it is shared",
		Long: `clean copies a bundle to the folder OUT with its IP addresses, MAC
addresses and the cluster's host and domain names replaced by pseudonyms,
the same value by the same pseudonym everywhere: in every file (gzipped
ones too), in base64 data/binaryData values that hold text, and in file
names. Pseudonyms are IPv4 in 198.18.0.0/15, IPv6 in 2001:db8::/32, MACs
02:00:00:xx:xx:xx, names host-N and domain-N.example.invalid.

The cluster's domains and node names are read from the bundle (nodes, and on
OpenShift the ingress, DNS and infrastructure configs); --domain adds more.
PEM certificates are left as they are (changing them would break their
signature) and listed in the report.

The bundle is a folder, a .tar.gz archive or the first part of a split
archive. OUT must not exist, or be an empty folder; an OUT ending in
.tar.gz is written as an archive instead, its entries under its name.

The mapping of original values to pseudonyms (--mapping, default
OUT.mapping.json, OUT without .tar.gz) is read when it exists, extended and
written back (mode 0600): keep it, it undoes the cleaning, and give it again
to clean another bundle with the same pseudonyms; it may not be inside OUT.
The report (OUT.clean-report.json) counts the replacements by kind and
file; its summary goes to stdout.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("clean takes one folder or archive, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.input = args[0]
			o.complete()
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "the folder to write the cleaned bundle to (must not exist, or be empty), or an archive NAME"+bundle.Ext+" (must not exist)")
	cmd.Flags().StringVar(&o.mapping, "mapping", "", "the mapping file: read when it exists, extended, written back (default OUT"+mappingSuffix+")")
	cmd.Flags().StringArrayVar(&o.domains, "domain", nil, "a domain to replace, with every name under it, besides those the bundle tells (repeatable)")
	return cmd
}

func (o *cleanOptions) complete() {
	if o.out == "" {
		return
	}
	o.out = filepath.Clean(o.out)
	base := o.out
	if strings.HasSuffix(o.out, bundle.Ext) {
		o.archive = true
		base = strings.TrimSuffix(o.out, bundle.Ext)
	}
	if o.mapping == "" {
		o.mapping = base + mappingSuffix
	}
	o.report = base + reportSuffix
}

// within says whether p is dir or below it.
func within(p, dir string) bool {
	ap, err1 := filepath.Abs(p)
	ad, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(ad, ap)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func (o *cleanOptions) validate() error {
	var errs []error
	in, err := os.Stat(o.input)
	if err != nil {
		errs = append(errs, cli.Usagef("%s is not a readable folder or archive", o.input))
	}
	switch {
	case o.out == "":
		errs = append(errs, cli.Usagef("--out is required: the folder to write the cleaned bundle to"))
	default:
		if _, err := os.Lstat(o.out); err == nil && o.archive {
			errs = append(errs, cli.Usagef("--out %s exists: give a new archive name", o.out))
		} else if entries, err := os.ReadDir(o.out); err == nil && len(entries) > 0 {
			errs = append(errs, cli.Usagef("--out %s exists and is not empty: give a new folder or an empty one", o.out))
		} else if fi, serr := os.Stat(o.out); serr == nil && !fi.IsDir() {
			errs = append(errs, cli.Usagef("--out %s exists and is not a folder", o.out))
		}
		if in != nil && in.IsDir() && (within(o.out, o.input) || within(o.input, o.out)) {
			errs = append(errs, cli.Usagef("--out %s and the bundle %s may not be inside one another", o.out, o.input))
		}
		if within(o.mapping, o.out) {
			errs = append(errs, cli.Usagef("--mapping %s is inside --out %s: the mapping undoes the cleaning and may not be shared with it", o.mapping, o.out))
		}
	}
	if in != nil && in.IsDir() && within(o.mapping, o.input) {
		errs = append(errs, cli.Usagef("--mapping %s is inside the bundle %s", o.mapping, o.input))
	}
	for _, d := range o.domains {
		if why := clean.ValidDomain(strings.TrimSuffix(strings.ToLower(d), ".")); why != "" {
			errs = append(errs, cli.Usagef("--domain %q: %s", d, why))
		}
	}
	if len(errs) > 0 {
		return cli.UsageError{Err: errors.Join(errs...)}
	}
	return nil
}

func (o *cleanOptions) run(ctx context.Context) error {
	m, err := clean.ReadMapping(o.mapping)
	if err != nil {
		return err
	}
	b, err := bundle.Open(ctx, o.input, "")
	if err != nil {
		return err
	}
	defer func() { _ = b.Close() }()
	for _, skipped := range b.Skipped {
		fmt.Fprintf(o.streams.ErrOut, "warning: %v\n", skipped)
	}
	dir := o.out
	if o.archive {
		// Cleaned into a folder of the archive's name beside it, archived,
		// and removed: the archive's entries are under that name.
		tmp, err := os.MkdirTemp(filepath.Dir(o.out), ".clean-")
		if err != nil {
			return fmt.Errorf("cleaning into %s: %w", o.out, err)
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		dir = filepath.Join(tmp, filepath.Base(bundle.BaseName(o.out)))
	}
	r, cerr := clean.Clean(ctx, b, dir, m, clean.Options{Domains: o.domains})
	if r == nil {
		return cerr
	}
	var archErr error
	if o.archive {
		_, archErr = bundle.Write(ctx, dir, o.out, bundle.Options{})
	}
	// The mapping is written even when some files failed: the ones
	// written need it.
	errs := []error{archErr, m.Write(o.mapping), writeJSON(o.report, r), r.WriteText(o.streams.Out)}
	if err := errors.Join(errs...); err != nil {
		return errors.Join(cerr, err)
	}
	fmt.Fprintf(o.streams.ErrOut, "wrote %s, the report %s and the mapping %s (keep it private: it undoes the cleaning)\n", o.out, o.report, o.mapping)
	if cerr != nil {
		return cli.PartialError{Err: cerr}
	}
	return nil
}

// writeJSON writes v as indented JSON to name (0640, atomically).
func writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return writeFileAtomic(name, append(b, '\n'))
}
