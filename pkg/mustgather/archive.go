package mustgather

import (
	"context"
	"fmt"
	"strings"

	"github.com/must-gather/toolkit/pkg/bundle"
)

// archive writes the destination folder, as it is at the end of the run,
// as <dest>.tar.gz beside it, or as numbered parts of at most
// --max-part-size, and says where, how large and in how many parts. It is
// written after the copy rather than while copying: a copy that fails is
// made again over what it unpacked, several images copy side by side, and
// the client writes files after the copies (event-filter.html, the end
// of timestamp).
func (r *run) archive(ctx context.Context) error {
	file := bundle.ArchiveName(r.o.DestDir)
	a, err := bundle.Write(ctx, r.o.DestDir, file, bundle.Options{MaxPartSize: r.o.MaxPartSize.Bytes, Logf: r.logf})
	if err != nil {
		return err
	}
	r.logf("archive: %s, %s, %d part(s), %d files", strings.Join(a.Paths, " "), humanBytes(a.Bytes), len(a.Paths), a.Files)
	return nil
}

// humanBytes writes n bytes in MiB with one decimal, or in bytes below
// a MiB.
func humanBytes(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
}
