package pods

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteTar writes a tar stream of the directory tree dir to w, as
// `tar cf - -C dir .` does: directories, regular files and symbolic links,
// names relative to dir ("./" first). It is what an image without tar runs
// to have a directory copied out (`gather node-agent tar DIR`). A file that
// cannot be read is skipped and reported at the end; a write error stops
// it.
func WriteTar(ctx context.Context, w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	var unreadable []error
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			unreadable = append(unreadable, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := "./" + filepath.ToSlash(rel)
		if rel == "." {
			name = "./"
		}
		info, err := d.Info()
		if err != nil {
			unreadable = append(unreadable, err)
			return nil
		}
		return addEntry(tw, p, name, info, &unreadable)
	})
	if err != nil {
		return fmt.Errorf("writing a tar of %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("writing a tar of %s: %w", dir, err)
	}
	if len(unreadable) > 0 {
		return fmt.Errorf("writing a tar of %s: %d unreadable, first: %w", dir, len(unreadable), unreadable[0])
	}
	return nil
}

func addEntry(tw *tar.Writer, p, name string, info fs.FileInfo, unreadable *[]error) error {
	var link string
	switch {
	case info.IsDir():
		if name != "./" {
			name += "/"
		}
	case info.Mode()&fs.ModeSymlink != 0:
		var err error
		if link, err = os.Readlink(p); err != nil {
			*unreadable = append(*unreadable, err)
			return nil
		}
	case info.Mode().IsRegular():
	default:
		return nil // devices, FIFOs, sockets: nothing a gather writes
	}
	h, err := tar.FileInfoHeader(info, link)
	if err != nil {
		*unreadable = append(*unreadable, err)
		return nil
	}
	h.Name = name
	h.Uname, h.Gname = "", ""
	if !info.Mode().IsRegular() {
		return tw.WriteHeader(h)
	}
	f, err := os.Open(p)
	if err != nil {
		*unreadable = append(*unreadable, err)
		return nil
	}
	defer f.Close()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	// A file that grows meanwhile (a log still written) is cut at the size
	// the header says; one that shrinks is an error of the stream.
	if _, err := io.CopyN(tw, f, h.Size); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
