package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
)

// validateArchive checks --archive-file and --max-part-size.
func (o *gatherOptions) validateArchive() []error {
	if o.archiveFile == "" {
		return nil
	}
	var errs []error
	if !strings.HasSuffix(o.archiveFile, bundle.Ext) {
		errs = append(errs, cli.Usagef("--archive-file %s: its name must end in %s", o.archiveFile, bundle.Ext))
	}
	dest, derr := filepath.Abs(o.destDir)
	file, ferr := filepath.Abs(o.archiveFile)
	if derr == nil && ferr == nil {
		if rel, err := filepath.Rel(dest, file); err == nil && !strings.HasPrefix(rel, "..") {
			errs = append(errs, cli.Usagef("--archive-file %s is inside --dest-dir %s: it would archive itself", o.archiveFile, o.destDir))
		}
	}
	if o.maxPartSize.Bytes < bundle.MinPartSize {
		errs = append(errs, cli.Usagef("--max-part-size %s is below the least, %d bytes", o.maxPartSize.String(), bundle.MinPartSize))
	}
	return errs
}

// archive writes the result as --archive-file (or its parts) and says
// where, how large and in how many parts.
func (o *gatherOptions) archive(ctx context.Context) error {
	logf := func(format string, args ...any) { fmt.Fprintf(o.streams.ErrOut, format+"\n", args...) }
	a, err := bundle.Write(ctx, o.destDir, o.archiveFile, bundle.Options{MaxPartSize: o.maxPartSize.Bytes, Logf: logf})
	if err != nil {
		return err
	}
	logf("archive: %s, %d bytes, %d part(s), %d files", strings.Join(a.Paths, " "), a.Bytes, len(a.Paths), a.Files)
	return nil
}
